"""One feedpub run at a time per place written: an flock()ed lock file, so cron overlaps never give two writers.

The lock is keyed by what a run writes, not by how the target was typed: a folder by
its resolved path (``out``, ``./out/``, its absolute path and a link to it are one
lock), a bucket by endpoint, bucket and normalised prefix. The kernel drops an flock
when its holder exits, even on SIGKILL, so a crashed run never leaves a stale lock
behind. The holder writes its PID into the file for the message.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedpub.errors import LockError

_POLL = 0.1


def lock_file(key: str) -> Path:
    """The lock file of the place ``key`` names, outside anything published (in the temporary folder)."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"feedpub-{digest}.lock"


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Never through a link: the lock file sits in a shared folder where anyone could plant one.
    flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(path, os.O_RDWR | flags, 0o644)
    except PermissionError:
        # Another user's lock file: an flock needs no write access, only the PID note does.
        return os.open(path, os.O_RDONLY | flags)


@contextmanager
def acquire_lock(path: Path, *, wait: float = 0, what: str | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` for the ``with`` block; LockError after ``wait`` seconds.

    ``what``: the place the lock guards, for the message.
    """
    path = Path(path)
    try:
        fd = _open(path)
    except OSError as exc:
        cause = "a link" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise LockError(f"cannot open the lock file {path}: {cause}") from exc
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    on = f" on {what}" if what else ""
                    raise LockError(f"another feedpub run holds the lock{on} ({_holder(fd)}, lock file {path})") from None
                time.sleep(_POLL)
        # Record who holds it; the file is never deleted (deleting a locked file lets a
        # third run lock a fresh inode while the second still holds the old one).
        _note(fd, f"{os.getpid()}\n")
        try:
            yield path
        finally:
            _note(fd, "")
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _note(fd: int, text: str) -> None:
    """Write the holder's PID (a read-only lock file of another user keeps the old note)."""
    try:
        os.ftruncate(fd, 0)
        if text:
            os.pwrite(fd, text.encode(), 0)
    except OSError:
        pass


def _holder(fd: int) -> str:
    """'pid N' from the lock file's content, as far as it can be read."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"
