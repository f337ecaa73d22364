"""One feedpub run at a time per target: an flock()ed lock file, so cron overlaps never give two writers.

The kernel drops an flock when its holder exits, even on SIGKILL, so a crashed run never
leaves a stale lock behind. The holder writes its PID into the file for the message.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedpub.errors import LockError

_POLL = 0.1


@contextmanager
def acquire_lock(path: Path, *, wait: float = 0) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` for the ``with`` block; LockError after ``wait`` seconds."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockError(f"cannot open the lock file {path}: {exc.strerror or exc}") from exc
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockError(f"another feedpub run holds {path} ({_holder(fd)})") from None
                time.sleep(_POLL)
        # Record who holds it; the file is never deleted (deleting a locked file lets a
        # third run lock a fresh inode while the second still holds the old one).
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """'pid N' from the lock file's content, as far as it can be read."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"
