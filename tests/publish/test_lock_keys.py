"""The run lock is keyed by what is written, held by real ``feedpub`` processes.

A real build holds the lock (stopped with SIGSTOP while it does, so the second runs
meet it for sure); every other spelling of the same place must then exit 4 without
writing anything, a dry run must not wait for it, and a kill -9'd holder must not
block the next run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedpub.config import PublishSettings
from feedpub.publish.folder import FolderTarget
from feedpub.publish.lock import acquire_lock, lock_file

from ..conftest import FIXTURE_SITE
from ..localfs import clean_build, feeds, make_site

DEADLINE = 120  # seconds: generous, only there so that a broken run cannot hang the suite


def feedpub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedpub", *args], capture_output=True, text=True, cwd=cwd, timeout=DEADLINE, check=False
    )


def wait_until_locked(proc: subprocess.Popen[str], lock: Path) -> None:
    """Stop ``proc`` (SIGSTOP) at a moment it holds ``lock``: its PID is in the lock file."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        assert proc.poll() is None, "the holder finished before it was seen holding the lock"
        try:
            held = lock.read_text().strip() == str(proc.pid)
        except OSError:
            held = False
        if held:
            os.kill(proc.pid, signal.SIGSTOP)
            if lock.read_text().strip() == str(proc.pid):
                return  # stopped while holding it
            os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.001)
    pytest.fail("the holder never took the lock")


@pytest.fixture
def big(tmp_path: Path) -> Path:
    return make_site(tmp_path / "big", 3000)


@pytest.fixture
def holder(big: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A real ``feedpub build`` into tmp_path/out, stopped while it holds the lock; continued at the end."""
    out = tmp_path / "out"
    lock = lock_file(FolderTarget(out).lock_key())
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedpub", "build", "--quiet", "--no-cache", "--source", str(big), "--output", str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_locked(proc, lock)
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
        proc.communicate(timeout=DEADLINE)


def test_every_spelling_of_the_folder_meets_the_lock(holder: subprocess.Popen[str], tmp_path: Path, big: Path) -> None:
    (tmp_path / "link-to-out").symlink_to(tmp_path / "out")
    (tmp_path / "sub").mkdir()
    spellings = ["out", "./out", "out/", "sub/../out", str(tmp_path / "out"), "link-to-out", str(tmp_path / "link-to-out/")]
    for spelling in spellings:
        for command in (["build", "--output", spelling], ["publish", "--target", spelling]):
            run = feedpub(*command, "--quiet", "--source", str(FIXTURE_SITE), cwd=tmp_path)
            assert run.returncode == 4, (command, run.stderr)
            assert "Traceback" not in run.stderr
            [line] = [x for x in run.stderr.splitlines() if x.startswith("feedpub: error:")]
            assert line.startswith("feedpub: error: another feedpub run holds the lock on ")
            assert f"(pid {holder.pid}, lock file " in line
    # Nothing was written by the refused runs: the holder, let go, writes what a clean build writes.
    os.kill(holder.pid, signal.SIGCONT)
    _, err = holder.communicate(timeout=DEADLINE)
    assert holder.returncode == 0, err
    assert feeds(tmp_path / "out") == clean_build(big, tmp_path / "clean")


def test_a_dry_run_neither_waits_for_nor_takes_the_lock(holder: subprocess.Popen[str], tmp_path: Path) -> None:
    run = feedpub("publish", "--dry-run", "--target", "out", "--source", str(FIXTURE_SITE), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "(dryrun) upload: robots.xml to out/robots.xml" in run.stdout.splitlines()


def test_a_killed_holder_never_blocks_the_next_run(holder: subprocess.Popen[str], tmp_path: Path, big: Path) -> None:
    os.kill(holder.pid, signal.SIGKILL)  # stopped and holding the lock: it dies holding it
    holder.communicate(timeout=DEADLINE)
    assert holder.returncode == -signal.SIGKILL
    lock = lock_file(FolderTarget(tmp_path / "out").lock_key())
    assert lock.read_text().strip() == str(holder.pid)  # the dead holder's note is still there
    run = feedpub("build", "--quiet", "--source", str(big), "--output", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert feeds(tmp_path / "out") == clean_build(big, tmp_path / "clean")


HOLD = """
import sys
from pathlib import Path
from feedpub.publish.lock import acquire_lock
with acquire_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_every_spelling_of_a_bucket_prefix_meets_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock is taken before the store is asked anything: no server is needed to meet it."""
    from feedpub.publish.s3 import S3Target

    endpoint = "http://127.0.0.1:9"  # never reached
    settings = PublishSettings(endpoint_url=endpoint, addressing_style="path", region="us-east-1")
    same_place = PublishSettings(endpoint_url="HTTP://127.0.0.1:9/", addressing_style="path", region="us-east-1")
    keys = {S3Target(url, settings).lock_key() for url in ("s3://feeds/news", "s3://feeds/news/")}
    keys.add(S3Target("s3://feeds/news", same_place).lock_key())
    assert len(keys) == 1
    elsewhere = PublishSettings(endpoint_url="http://127.0.0.1:10", addressing_style="path", region="us-east-1")
    assert S3Target("s3://feeds/news/", elsewhere).lock_key() not in keys
    assert S3Target("s3://other/news/", settings).lock_key() not in keys
    assert S3Target("s3://feeds/news/more/", settings).lock_key() not in keys
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock_file(keys.pop()))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_ENDPOINT_URL": endpoint}
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        for url in ("s3://feeds/news", "s3://feeds/news/"):
            argv = ["publish", "--quiet", "--source", str(FIXTURE_SITE), "--target", url, "--base-url", "https://feeds.test/"]
            run = subprocess.run(
                [sys.executable, "-m", "feedpub", *argv],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                env=env,
                timeout=DEADLINE,
                check=False,
            )
            assert run.returncode == 4, run.stderr
            assert f"another feedpub run holds the lock on {url} (pid {proc.pid}, " in run.stderr
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=DEADLINE)


def test_build_takes_the_lock_too(tmp_path: Path) -> None:
    with acquire_lock(lock_file(FolderTarget(tmp_path / "out").lock_key())):
        run = feedpub("build", "--source", str(FIXTURE_SITE), "--output", "./out/", cwd=tmp_path)
    assert run.returncode == 4 and "another feedpub run holds the lock on out" in run.stderr
    assert not (tmp_path / "out").exists()
