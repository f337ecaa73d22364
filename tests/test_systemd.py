"""The systemd service and timer in contrib/systemd: valid units, and a command feedpub takes.

``systemd-analyze verify`` checks the units as systemd would load them (every key known,
every value parsed, the command executable); it runs where systemd is installed and the
test says why it skips elsewhere. The command line is checked against feedpub's own
parser everywhere.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub.cli import make_parser

from .conftest import REPO

UNITS = REPO / "contrib" / "systemd"
ANALYZE = shutil.which("systemd-analyze")
INSTALL = "/srv/feedpub"  # where the units expect the checkout and its .venv (README)


def _keys(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def test_the_service_runs_a_command_feedpub_takes() -> None:
    service = _keys((UNITS / "feedpub.service").read_text(encoding="utf-8"))
    program, *words = shlex.split(service["ExecStart"])
    assert program == f"{INSTALL}/.venv/bin/feedpub" and service["WorkingDirectory"] == INSTALL
    args = make_parser().parse_args(words)
    assert args.command == "publish" and args.quiet and str(args.config) == "config/feedpub.yaml"
    timer = _keys((UNITS / "feedpub.timer").read_text(encoding="utf-8"))
    assert timer["OnCalendar"] == "*:0/10" and timer["WantedBy"] == "timers.target"


def _verify(folder: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    names = ["feedpub.service", "feedpub.timer"]
    return subprocess.run([ANALYZE, "verify", "--man=no", *names], capture_output=True, text=True, cwd=folder, timeout=60)


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (Debian: the systemd package)")
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    # The units as shipped, with the install folder moved to a test folder whose
    # .venv/bin/feedpub is this checkout's console script (verify wants it executable).
    root = tmp_path / "srv"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "feedpub").symlink_to(Path(sys.executable).with_name("feedpub"))
    units = tmp_path / "units"
    units.mkdir()
    for name in ("feedpub.service", "feedpub.timer"):
        text = (UNITS / name).read_text(encoding="utf-8")
        (units / name).write_text(text.replace(INSTALL, str(root)), encoding="utf-8")
    done = _verify(units)
    assert done.returncode == 0 and done.stderr == "" and done.stdout == "", done.stderr
    # The check can fail: a misspelt key is reported.
    timer = units / "feedpub.timer"
    timer.write_text(timer.read_text(encoding="utf-8").replace("OnCalendar", "OnCalender"), encoding="utf-8")
    assert "Unknown key 'OnCalender'" in _verify(units).stderr
