"""The run lock, held by a real second process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedpub.errors import LockError
from feedpub.publish.lock import acquire_lock

HOLDER = """
import sys, time
from pathlib import Path
from feedpub.publish.lock import acquire_lock
with acquire_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
    time.sleep(0.5)  # still holding while the other run starts waiting
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A second process holding the lock until its stdin closes."""
    lock = tmp_path / "run" / "feedpub.publish.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    try:
        yield proc, lock
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_second_run_is_refused_with_path_and_pid(holder: tuple[subprocess.Popen[str], Path]) -> None:
    proc, lock = holder
    with pytest.raises(LockError) as info, acquire_lock(lock):
        pytest.fail("got a lock another process holds")
    assert str(info.value) == f"another feedpub run holds the lock (pid {proc.pid}, lock file {lock})"
    assert info.value.exit_status == 4


def test_waiting_run_gets_the_lock_when_the_holder_finishes(holder: tuple[subprocess.Popen[str], Path]) -> None:
    proc, lock = holder
    assert proc.stdin is not None
    proc.stdin.close()  # the holder finishes its work soon and exits
    with acquire_lock(lock, wait=30) as held:
        assert held == lock
        assert lock.read_text().strip() == str(os.getpid())
    assert proc.wait() == 0


def test_killed_holder_leaves_no_stale_lock(holder: tuple[subprocess.Popen[str], Path]) -> None:
    proc, lock = holder
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with acquire_lock(lock):
        pass


def test_lock_is_reusable_and_exclusive_within_one_process(tmp_path: Path) -> None:
    lock = tmp_path / "feedpub.publish.lock"
    with acquire_lock(lock):
        assert lock.read_text().strip().isdigit()
    # flock locks belong to the open file, so a second open in the same process conflicts too.
    with acquire_lock(lock), pytest.raises(LockError), acquire_lock(lock):
        pass


def test_unusable_lock_path_is_a_lock_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LockError, match="cannot open the lock file"), acquire_lock(blocker / "feedpub.publish.lock"):
        pass


def test_the_message_names_what_is_locked(holder: tuple[subprocess.Popen[str], Path]) -> None:
    proc, lock = holder
    with pytest.raises(LockError) as info, acquire_lock(lock, what="out/"):
        pytest.fail("got a lock another process holds")
    assert str(info.value) == f"another feedpub run holds the lock on out/ (pid {proc.pid}, lock file {lock})"


def test_a_planted_link_is_never_opened_as_the_lock_file(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    lock = tmp_path / "feedpub.lock"
    lock.symlink_to(victim)
    with pytest.raises(LockError, match=r"cannot open the lock file .*: a link"), acquire_lock(lock):
        pass
    assert victim.read_bytes() == b"precious\n"
