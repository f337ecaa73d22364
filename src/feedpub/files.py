"""Writing files so that a reader never sees a partial one, and clearing what a killed run left.

Every temporary file is flock()ed by its writer for as long as it exists: the kernel
drops that lock when the writer exits, even on SIGKILL, so a later run tells a live
writer's file (locked, left alone) from debris (unlocked, deleted) without guessing
from times.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def reason(exc: OSError) -> str:
    """The OS's words for an error (``No space left on device``), for a one-line message."""
    return exc.strerror or str(exc)


def _chunks(data: bytes | Sequence[bytes]) -> Iterable[bytes]:
    return (data,) if isinstance(data, bytes) else data


def _write_all(fd: int, data: bytes | Sequence[bytes]) -> None:
    for chunk in _chunks(data):
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view) :]


def write_atomic(path: Path, data: bytes | Sequence[bytes], *, durable: bool = True, clobber: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Readers (and a web server) see the old file or the new one, never a partial one,
    even when the disk fills up or the process is killed mid-write; the temporary file
    is removed on any failure (and :func:`sweep_temps` removes one a SIGKILL left).
    ``data`` may be several chunks, written in order (no joined copy of a large file).
    ``durable`` also syncs the data to disk first: wanted for published feeds, not for
    caches, which are rebuilt when damaged. ``clobber`` (for cache files, which are
    feedpub's own) replaces whatever is at ``path``, a folder included.
    """
    folder = path.parent
    tmp = f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(folder / tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a live writer's file: sweep_temps leaves it alone
        _write_all(fd, data)
        if durable:
            os.fsync(fd)
        os.fchmod(fd, 0o644)
        try:
            os.replace(folder / tmp, path)
        except OSError as exc:
            if not clobber or exc.errno not in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
            clear(path)  # a folder where a cache file belongs: feedpub's own, rebuilt
            os.replace(folder / tmp, path)
    except BaseException:
        try:
            os.unlink(folder / tmp)
        except OSError:
            pass
        raise
    finally:
        os.close(fd)


SYNC_BATCH = 128
"""Files written, then synced together, then renamed at a time by :func:`write_many_via` (open descriptors stay few)."""


def _fsync(fd: int) -> OSError | None:
    try:
        os.fsync(fd)
    except OSError as exc:
        return exc
    return None


def _sync_all(fds: Sequence[int]) -> list[OSError | None]:
    """fsync every descriptor, several at once (the file system commits concurrent syncs
    together); the failure of each, or None."""
    if len(fds) < 2:
        return [_fsync(fd) for fd in fds]
    from concurrent.futures import ThreadPoolExecutor  # only a write of several files pays for it

    with ThreadPoolExecutor(max_workers=min(16, len(fds))) as pool:
        return list(pool.map(_fsync, fds))


def write_many_via(temp_fd: int, targets: Sequence[tuple[int, str, bytes]], *, durable: bool = True) -> None:
    """:func:`write_via` for each ``(parent_fd, leaf, data)``, in order, with their data synced together.

    One fsync after another waits for one journal commit each (about 2 ms on ext4):
    with thousands of feeds (5,000 topics) that was most of a build. Here up to
    :data:`SYNC_BATCH` files are written to their temporary names, synced at once (one
    commit for them all), and only then renamed into place, in order. Each file is
    still whole on disk before its name points to it; on any failure the temporary
    files not yet renamed are removed, and the OSError names the leaf it failed on
    (``filename``).
    """
    for start in range(0, len(targets), SYNC_BATCH):
        batch = targets[start : start + SYNC_BATCH]
        # Each temporary name is listed before its file is made: a failure or a SIGTERM
        # (raised between any two steps) right after it is made still removes it.
        temps: list[str] = []
        fds: list[int] = []
        at = renamed = 0  # the file being worked on; how many are in place
        try:
            for i, (_parent, _leaf, data) in enumerate(batch):
                at = i
                temps.append(secrets.token_hex(8) + TEMP_SUFFIX)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                fds.append(os.open(temps[-1], flags, 0o600, dir_fd=temp_fd))
                fcntl.flock(fds[-1], fcntl.LOCK_EX)
                _write_all(fds[-1], data)
                os.fchmod(fds[-1], 0o644)
            if durable:
                for i, failed in enumerate(_sync_all(fds)):
                    if failed is not None:
                        at = i
                        raise failed
            for tmp, (parent, leaf, _data) in zip(temps, batch, strict=True):
                at = renamed
                os.replace(tmp, leaf, src_dir_fd=temp_fd, dst_dir_fd=parent)
                renamed += 1
        except OSError as exc:
            exc.filename, exc.filename2 = batch[at][1], None
            raise
        finally:
            for tmp in temps[renamed:]:
                try:
                    os.unlink(tmp, dir_fd=temp_fd)
                except OSError:
                    pass  # never made, or renamed just before the failure
            for fd in fds:
                os.close(fd)


def write_via(temp_fd: int, parent_fd: int, leaf: str, data: bytes | Sequence[bytes], *, durable: bool = True) -> None:
    """Write ``data`` to ``leaf`` in the folder open as ``parent_fd``, through a temporary file in ``temp_fd``.

    Both folders are open descriptors, so no link met on the way is followed; the
    rename replaces a link at ``leaf`` itself, never what it points to, and must stay
    on one file system (it is atomic). The temporary file is removed on any failure.
    """
    tmp = secrets.token_hex(8) + TEMP_SUFFIX
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=temp_fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _write_all(fd, data)
        if durable:
            os.fsync(fd)
        os.fchmod(fd, 0o644)
        os.replace(tmp, leaf, src_dir_fd=temp_fd, dst_dir_fd=parent_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=temp_fd)
        except OSError:
            pass
        raise
    finally:
        os.close(fd)


def sweep_temps(folder: Path | int, wanted: Callable[[str], bool] | None = None) -> int:
    """Delete the temporary files (``*.tmp``, or names ``wanted`` accepts) no live writer holds.

    ``folder`` is a path or an open folder descriptor. Links and folders are never
    followed or removed. Returns how many were deleted; errors are ignored (a file that
    cannot be deleted now is tried again by the next run).
    """
    if isinstance(folder, int):
        return _sweep(folder, wanted or (lambda name: name.endswith(TEMP_SUFFIX)))
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        return _sweep(dir_fd, wanted or (lambda name: name.endswith(TEMP_SUFFIX)))
    finally:
        os.close(dir_fd)


def _sweep(dir_fd: int, wanted: Callable[[str], bool]) -> int:
    try:
        names = os.listdir(dir_fd)
    except OSError:
        return 0
    swept = 0
    for name in filter(wanted, names):
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a live writer's file
                os.unlink(name, dir_fd=dir_fd)
                swept += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return swept


def read_regular(path: Path | str, *, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``; OSError for anything else.

    Opened without blocking, so a FIFO or a device at a cache file's name never hangs a
    run, and refused unless it is a regular file (a link is followed: where the user
    points a cache file is theirs). ``limit``: a longer file is refused (EFBIG), also one
    that grows past it while it is read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL, "not a regular file", str(path))
        if limit is not None and st.st_size > limit:
            raise OSError(errno.EFBIG, "file too large", str(path))
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read() if limit is None else fh.read(limit + 1)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise OSError(errno.EFBIG, "file too large", str(path))
    return data


def clear(path: Path) -> None:
    """Remove whatever is at ``path``: a file, a link (never what it points to), a folder with its content."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def usable_folder(path: Path) -> str | None:
    """Why ``path`` cannot be used as a folder feedpub writes into (creating it if needed), or None."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return "not a folder"
    except OSError as exc:
        return f"cannot create it: {reason(exc)}"
    if not path.is_dir():
        return "not a folder"
    probe = path / f".probe.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    except OSError as exc:
        return f"cannot write in it: {reason(exc)}"
    try:
        os.unlink(probe)
    except OSError:
        pass  # swept by another run already, or by the next one
    return None
