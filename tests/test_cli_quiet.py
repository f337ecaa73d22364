"""Cron noise: feedpub is silent when all is well, and tells a problem once.

Real processes, as cron starts them (stderr a pipe), and one with stderr a terminal
(a pseudo-terminal from the ``pty`` module), where the one-line summaries belong. A
rejected file is reported when it is new or changed, not on every run; ``check`` and
``--json`` list every one, every time.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import FIXTURE_SITE

BROKEN = "2025-03-04-broken.md"


def feedpub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A run with stdout and stderr pipes (no terminal: what cron does)."""
    return subprocess.run([sys.executable, "-m", "feedpub", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def on_a_terminal(*args: str, cwd: Path) -> tuple[int, str, str]:
    """A run whose stderr is a terminal; (status, stdout, what the terminal showed)."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedpub", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=child, stdin=subprocess.DEVNULL
    )
    os.close(child)  # the child holds its own copy; reading ends when it exits
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    out = proc.stdout.read().decode() if proc.stdout else ""
    return proc.wait(timeout=60), out, shown.decode().replace("\r\n", "\n")


def set_mtime_back(path: Path) -> None:
    """An edit made a while ago (a file written moments before a run is parsed again by the next one)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 10**10))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))


@pytest.mark.parametrize("quiet", [["--quiet"], []], ids=["quiet", "not-quiet"])
def test_a_broken_file_is_reported_once_under_cron(site: Path, tmp_path: Path, quiet: list[str]) -> None:
    args = ["build", "--source", str(site), "--output", str(tmp_path / "out"), "--base-url", "https://f.test/", *quiet]
    broken = site / "_news" / BROKEN
    first = feedpub(*args, cwd=tmp_path)
    assert first.returncode == 0 and first.stdout == ""
    assert first.stderr == f"feedpub: skipped {broken}: missing required field 'webUrl' (or 'originalUrl')\n"
    again = feedpub(*args, cwd=tmp_path)  # answered from the up-to-date stamp
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    other = feedpub(*args[:4], str(tmp_path / "out2"), *args[5:], cwd=tmp_path)  # no stamp: the parse cache knows
    assert (other.returncode, other.stdout, other.stderr) == (0, "", "")
    # Changed, and still broken: news again (once).
    broken.write_text(broken.read_text(encoding="utf-8").replace("title:", "title: Edited\nbad: [\ntitle:"), encoding="utf-8")
    set_mtime_back(broken)
    changed = feedpub(*args, cwd=tmp_path)
    assert changed.returncode == 0 and changed.stderr.startswith(f"feedpub: skipped {broken}: YAML error at line")
    assert len(changed.stderr.splitlines()) == 1
    assert feedpub(*args, cwd=tmp_path).stderr == ""
    # A second broken file is told alone.
    shutil.copy(broken, site / "_news" / "2025-03-05-also-broken.md")
    set_mtime_back(site / "_news" / "2025-03-05-also-broken.md")
    added = feedpub(*args, cwd=tmp_path)
    assert added.stderr.splitlines() == [
        f"feedpub: skipped {site / '_news' / '2025-03-05-also-broken.md'}: {changed.stderr.split(': ', 2)[2].strip()}"
    ]


def test_a_file_written_moments_before_a_run_is_still_told_once(site: Path, tmp_path: Path) -> None:
    args = ["build", "--source", str(site), "--output", str(tmp_path / "out"), "--base-url", "https://f.test/", "--quiet"]
    assert feedpub(*args, cwd=tmp_path).returncode == 0
    fresh = site / "_news" / "2025-03-05-fresh.md"
    fresh.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    # An mtime this close to the run (here: ahead of the clock) is not trusted by the
    # next run, which parses the file again.
    ahead = time.time_ns() + 60 * 10**9
    os.utime(fresh, ns=(ahead, ahead))
    first = feedpub(*args, cwd=tmp_path)
    assert first.stderr.splitlines() == [f"feedpub: skipped {fresh}: YAML error at line 3: did not find expected ',' or ']'"]
    second = feedpub(*args[:-1], "--json", cwd=tmp_path)  # not --quiet: --quiet --json never tells
    assert json.loads(second.stdout)["cache"]["parsed"] == 1  # parsed again...
    assert second.stderr == ""  # ...and, the same problem, not told again


def test_check_and_json_list_every_rejected_file_every_time(site: Path, tmp_path: Path) -> None:
    args = ["build", "--source", str(site), "--output", str(tmp_path / "out"), "--base-url", "https://f.test/", "--json"]
    first = json.loads(feedpub(*args, cwd=tmp_path).stdout)
    second = json.loads(feedpub(*args, cwd=tmp_path).stdout)
    assert [(Path(r["path"]).name, r["new"]) for r in first["articles"]["rejected"]] == [(BROKEN, True)]
    assert [(Path(r["path"]).name, r["new"]) for r in second["articles"]["rejected"]] == [(BROKEN, False)]
    for _ in range(2):
        check = feedpub("check", "--source", str(site), cwd=tmp_path)
        assert check.returncode == 1 and check.stdout.splitlines() == [
            f"{site / '_news' / BROKEN}: missing required field 'webUrl' (or 'originalUrl')"
        ]
        assert check.stderr == ""  # no summary line without a terminal
        checked = json.loads(feedpub("check", "--source", str(site), "--json", cwd=tmp_path).stdout)
        assert [Path(r["path"]).name for r in checked["rejected"]] == [BROKEN]


def test_a_broken_topic_definition_is_told_once(site: Path, tmp_path: Path) -> None:
    definition = site / "_data" / "topics" / "02-broken.yaml"
    definition.write_text("name: [unclosed\n", encoding="utf-8")
    args = ["build", "--source", str(site), "--output", str(tmp_path / "out"), "--base-url", "https://f.test/", "--quiet"]
    first = feedpub(*args, cwd=tmp_path)
    assert f"feedpub: skipped {definition}: " in first.stderr
    assert feedpub(*args, "--json", cwd=tmp_path).stderr == ""
    topics = feedpub("topics", "--source", str(site), cwd=tmp_path)
    assert topics.returncode == 0 and topics.stderr == ""
    definition.write_text("name: [still unclosed\n", encoding="utf-8")
    set_mtime_back(definition)
    assert f"feedpub: skipped {definition}: " in feedpub(*args, cwd=tmp_path).stderr


def test_publish_to_a_folder_is_silent_without_a_terminal(site: Path, tmp_path: Path) -> None:
    (site / "_news" / BROKEN).unlink()
    args = ["publish", "--source", str(site), "--target", str(tmp_path / "public"), "--base-url", "https://f.test/"]
    for _ in range(2):
        p = feedpub(*args, cwd=tmp_path)
        assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    assert (tmp_path / "public" / "robots.xml").is_file()


def test_a_failed_strict_run_says_so_on_every_run(site: Path, tmp_path: Path) -> None:
    args = ["build", "--source", str(site), "--output", str(tmp_path / "out"), "--base-url", "https://f.test/", "--strict"]
    strict = "feedpub: --strict: 1 file was rejected ('feedpub check' lists every one)"
    first = feedpub(*args, cwd=tmp_path)
    assert first.returncode == 1 and first.stderr.splitlines()[1:] == [strict]
    again = feedpub(*args, cwd=tmp_path)
    assert again.returncode == 1 and again.stderr.splitlines() == [strict]


def test_summaries_are_for_a_terminal(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["build", "--source", str(site), "--output", str(out), "--base-url", "https://f.test/"]
    status, stdout, shown = on_a_terminal(*args, cwd=tmp_path)
    assert status == 0 and stdout == ""
    # Written: 9 feeds, their 3 pages, the OPML file and index.html.
    summary = f"feedpub: 3 articles, 1 rejected; 9 feeds for 3 topics in {out} (14 written, 0 unchanged)"
    assert f"feedpub: skipped {site / '_news' / BROKEN}: " in shown and summary in shown
    status, _, shown = on_a_terminal(*args, cwd=tmp_path)  # the up-to-date replay: this run's counts
    assert status == 0 and shown.strip().endswith(f"in {out} (0 written, 14 unchanged)") and "skipped" not in shown
    status, _, shown = on_a_terminal(*args, "--quiet", cwd=tmp_path)
    assert status == 0 and shown == ""
    status, _, shown = on_a_terminal("publish", *args[1:3], "--target", str(tmp_path / "public"), *args[5:], cwd=tmp_path)
    assert status == 0 and f"feedpub: published to {tmp_path / 'public'}: 14 uploaded, 0 unchanged, 0 deleted" in shown
    status, stdout, shown = on_a_terminal("check", "--source", str(site), cwd=tmp_path)
    assert status == 1 and BROKEN in stdout and "feedpub: 4 article files: 3 usable, 1 rejected; 1 topic definitions" in shown
