"""Progress: shown on a terminal, never under cron (no terminal) or with --quiet."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from feedpub.progress import Progress

from .conftest import FIXTURE_SITE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_in_place_on_a_terminal_only() -> None:
    tty = Terminal()
    p = Progress(enabled=True, stream=tty)
    p.update("reading articles", 1, 10)
    p.update("reading articles", 2, 10)  # within a tenth of a second: not redrawn
    p.update("reading articles", 10, 10)  # the last one always is
    p.clear()
    assert tty.getvalue() == "\r\x1b[Kreading articles 1/10\r\x1b[Kreading articles 10/10\r\x1b[K"
    plain = io.StringIO()
    q = Progress(enabled=True, stream=plain)
    q.update("reading articles", 1, 10)
    q.clear()
    assert plain.getvalue() == ""
    quiet = Terminal()
    Progress(enabled=False, stream=quiet).update("x", 1)
    assert quiet.getvalue() == ""


def _build(tmp_path: Path, *extra: str, terminal: bool) -> str:
    """Run ``feedpub build`` as cron or a person would, with stderr on a terminal or not."""
    args = [sys.executable, "-m", "feedpub", "build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path / "out"), *extra]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    if not terminal:
        done = subprocess.run(args, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_sees_progress_and_cron_sees_none(tmp_path: Path) -> None:
    shown = _build(tmp_path, "--no-cache", terminal=True)
    assert "\rreading articles" in shown.replace("\x1b[K", "") and "rendering feeds" in shown
    cron = _build(tmp_path, "--no-cache", "--quiet", terminal=False)
    # Under cron only problems are said (so its mail stays empty while all is well).
    lines = cron.splitlines()
    assert len(lines) == 1 and lines[0].startswith("feedpub: skipped ") and lines[0].endswith("(or 'originalUrl')")
    unattended = _build(tmp_path, "--no-cache", terminal=False)
    assert "\r" not in unattended and "reading articles" not in unattended
    assert "skipped" in unattended  # problems are still said, one line each
    quiet = _build(tmp_path, "--no-cache", "--quiet", terminal=True)
    assert "reading articles" not in quiet
