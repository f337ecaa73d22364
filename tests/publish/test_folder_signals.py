"""SIGTERM and kill -9 sent to a real ``feedpub build`` at several moments: no debris among the
published files, every file whole (as it was or new), and the next run equals a clean build.

The build is stopped (SIGSTOP) exactly at the moment wanted, checked to be there, then
sent the signal and continued: the moment is certain, not a matter of timing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feedpub.publish.folder import TEMP_FOLDER, FolderTarget
from feedpub.publish.lock import lock_file
from feedpub.publish.written import RECORD_NAME

from ..localfs import build, clean_build, feeds, make_site

DEADLINE = 120  # seconds: generous, only there so that a broken run cannot hang the suite


class Sites:
    """Two versions of a large site, and what a clean build writes for each."""

    def __init__(self, top: Path) -> None:
        self.old = make_site(top / "old", 3000)
        self.new = Path(shutil.copytree(self.old, top / "new"))
        news = self.new / "_news"
        for i, path in enumerate(sorted(news.iterdir())):
            if i % 5 == 0:
                text = path.read_text(encoding="utf-8").replace("what happened", "what happened next", 1)
                path.write_text(text, encoding="utf-8")
        make_site(top / "newer", 100)
        for path in (top / "newer" / "_news").iterdir():
            path.replace(news / path.name.replace("story", "newer-story"))
        self.old_output = top / "old-output"
        self.old_feeds = clean_build(self.old, self.old_output)
        self.new_feeds = clean_build(self.new, top / "new-output")
        assert self.old_feeds.keys() <= self.new_feeds.keys()
        assert sum(self.old_feeds[k] != self.new_feeds[k] for k in self.old_feeds) > len(self.old_feeds) // 2


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Sites:
    return Sites(tmp_path_factory.mktemp("sites"))


def _lock_held(pid: int, out: Path) -> bool:
    try:
        return lock_file(FolderTarget(out).lock_key()).read_text().strip() == str(pid)
    except OSError:
        return False


def _temp_files(out: Path) -> list[str]:
    try:
        return os.listdir(out / TEMP_FOLDER)
    except OSError:
        return []


MOMENTS: dict[str, Callable[[int, Path, Path], bool]] = {
    # Reading articles (in worker processes: the cache is cold), nothing rendered yet.
    "reading": lambda pid, out, cache: _lock_held(pid, out) and not (cache / "feeds").exists(),
    # Rendering: the render cache is being filled; nothing is being written to the output.
    "rendering": lambda pid, out, cache: (cache / "feeds").exists() and not (out / TEMP_FOLDER).exists(),
    # Writing: a temporary file is in the output folder's temporary folder.
    "writing": lambda pid, out, cache: bool(_temp_files(out)),
}


@pytest.fixture
def stopped(sites: Sites, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A build of the new site into a copy of the old output, stopped (SIGSTOP) at the moment asked for."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    shutil.copytree(sites.old_output, out)
    assert not (out / TEMP_FOLDER).exists() and (out / RECORD_NAME).is_file()
    at = MOMENTS[request.param]
    argv = ["build", "--quiet", "--source", str(sites.new), "--output", str(out), "--cache-dir", str(cache)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedpub", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        end = time.monotonic() + DEADLINE
        while True:
            assert proc.poll() is None, f"the build ended before the moment {request.param!r} was seen"
            assert time.monotonic() < end, f"the moment {request.param!r} never came"
            if at(proc.pid, out, cache):
                os.kill(proc.pid, signal.SIGSTOP)
                time.sleep(0.01)  # the stop takes effect; the state is then frozen
                if at(proc.pid, out, cache):
                    break
                os.kill(proc.pid, signal.SIGCONT)
            time.sleep(0.0005)
        yield proc, out
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=DEADLINE)


def assert_whole(out: Path, sites: Sites) -> None:
    """Among the published names only feeds and the record; each feed as it was or new, never partial."""
    names = {p.name for p in out.iterdir()} - {TEMP_FOLDER, RECORD_NAME}
    assert names <= sites.new_feeds.keys(), names - sites.new_feeds.keys()
    for name in names:
        data = (out / name).read_bytes()
        assert data in (sites.old_feeds.get(name), sites.new_feeds[name]), name


def assert_next_run_completes(out: Path, tmp_path: Path, sites: Sites) -> None:
    done = build("--source", str(sites.new), "--output", str(out), "--cache-dir", str(tmp_path / "cache"))
    assert done.returncode == 0, done.stderr
    assert not (out / TEMP_FOLDER).exists()
    assert feeds(out) == sites.new_feeds
    assert not [p.name for p in (tmp_path / "cache").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("stopped", list(MOMENTS), indirect=True)
def test_sigterm_cleans_up_and_says_so(stopped: tuple[subprocess.Popen[str], Path], sites: Sites, tmp_path: Path) -> None:
    proc, out = stopped
    os.kill(proc.pid, signal.SIGTERM)
    os.kill(proc.pid, signal.SIGCONT)
    _, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"feedpub: error: stopped by SIGTERM: {out} holds each file whole (as it was, or new); the next run completes it"
    ]
    assert not (out / TEMP_FOLDER).exists()  # cleaned up: nothing for the next run to sweep
    assert_whole(out, sites)
    assert_next_run_completes(out, tmp_path, sites)


@pytest.mark.parametrize("stopped", list(MOMENTS), indirect=True)
def test_kill_9_leaves_nothing_among_the_published_files(
    stopped: tuple[subprocess.Popen[str], Path], sites: Sites, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    proc, out = stopped
    proc.kill()
    proc.communicate(timeout=DEADLINE)
    assert proc.returncode == -signal.SIGKILL
    if request.node.callspec.params["stopped"] == "writing":
        assert _temp_files(out)  # the debris a SIGKILL cannot avoid: in the temporary folder only
    assert_whole(out, sites)
    assert_next_run_completes(out, tmp_path, sites)
