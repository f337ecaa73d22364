"""A local folder as the publish target: atomic writes, never through a link, never over a file feedpub did not write.

Every file is written as a temporary file in ``.feedpub-tmp/`` inside the folder (one
file system, so the rename into place is atomic) and renamed over its name: a reader
sees the old file or the new one. The temporary folder exists only while a run writes
and is swept by the next run if a SIGKILL left something in it, so nothing half-written
ever sits among the published names. The folder and its subfolders are used through
open descriptors and every name is checked without following links: a link planted at
a feed's name is never written through (see :meth:`FolderTarget.publish`).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from feedpub.errors import PublishError
from feedpub.files import SYNC_BATCH, reason, sweep_temps, write_many_via, write_via
from feedpub.publish import Progress, written
from feedpub.records import OutputFile, PublishResult
from feedpub.text import printable

TEMP_FOLDER = ".feedpub-tmp"
"""Where a run's temporary files are, inside the output folder; removed at the end of every run."""
_RESERVED = (TEMP_FOLDER, written.RECORD_NAME)
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class _Step:
    """What publish does with one file: write it, leave it (same bytes), or refuse (why)."""

    item: OutputFile
    write: bool
    refusal: str | None = None


class FolderTarget:
    """Writes feeds into one folder; a file whose bytes are already there is not touched.

    Leaving unchanged files alone keeps their mtime, so a web server in front of the
    folder keeps answering conditional GETs with 304.

    With ``delete_stale`` (``publish.delete_stale``), files feedpub wrote (on its record)
    that the run no longer produces are removed after the writes, at most
    ``max_deletes`` a run (oldest name first), as the S3 target removes its stale keys:
    the feeds of a topic that disappeared, the archive documents a shrinking archive no
    longer links. Without it they stay, unlinked.
    """

    def __init__(self, root: Path | str, *, delete_stale: bool = False, max_deletes: int = 16) -> None:
        self.root = Path(root)
        self.delete_stale = delete_stale
        self.max_deletes = max_deletes

    def describe(self) -> str:
        return str(self.root)

    def lock_key(self) -> str:
        """What the run lock is keyed by: the folder's resolved path, however it was typed."""
        return "folder " + os.path.realpath(self.root)

    def fields(self) -> dict[str, str]:
        """``{"kind": "folder", "path"}``, as ``--json`` reports the target."""
        return {"kind": "folder", "path": str(self.root)}

    def location(self, name: str) -> str:
        """The path ``name`` is written at."""
        return str(self.root / name)

    def publish(
        self,
        files: Sequence[OutputFile],
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> PublishResult:
        """Make the folder hold ``files``; :class:`PublishError` (one line) when it cannot.

        A folder has no headers: ``publish.rules`` do not apply to it (the web server in
        front sets them). ``force`` rewrites files whose bytes are already there.

        Every name is checked before anything is written, and nothing is written if one
        is refused: a name that is a link feedpub did not make, a folder, or a file
        feedpub did not write (not in its record, :mod:`~feedpub.publish.written`) whose
        bytes differ. A link at a name the record lists (feedpub's own file, swapped for
        a link) is replaced by the file, the link itself removed and never followed. A
        dry run checks the same and writes nothing.
        """
        ordered = sorted(files, key=lambda f: (f.group, f.name))
        for item in ordered:
            self._check_name(item.name)
        root_fd = self._open_root(create=not dry_run)
        if root_fd is None:  # a dry run for a folder not made yet: every file is new
            return PublishResult(uploaded=tuple(f.name for f in ordered))
        try:
            record = written.load(root_fd)
            legacy = not record and written.absent(root_fd)
            steps = [self._step(root_fd, item, record, legacy=legacy) for item in ordered]
            if force:
                steps = [s if s.write or s.refusal else _Step(s.item, write=True) for s in steps]
            refused = [s.refusal for s in steps if s.refusal]
            if refused:
                more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
                raise PublishError(refused[0] + more)
            stale = self._stale(root_fd, record, ordered) if self.delete_stale else []
            deleted: list[str] = list(stale) if dry_run else []
            if not dry_run:
                self._sweep(root_fd)
                new_record = self._new_record(root_fd, record, ordered)
                self._write(root_fd, steps, new_record, record, progress)
                # After every write, as the S3 target deletes only once every upload
                # succeeded; the record keeps a name until its file is gone.
                deleted = [name for name in stale if self._delete(root_fd, name)]
                if deleted:
                    self._write(root_fd, [], new_record - set(deleted), new_record, None)
        finally:
            os.close(root_fd)
        return PublishResult(
            uploaded=tuple(s.item.name for s in steps if s.write),
            unchanged=tuple(s.item.name for s in steps if not s.write),
            deleted=tuple(deleted),
        )

    def ready(self) -> None:
        """:class:`PublishError` now, before a build's work, if the output exists but is no usable folder.

        A missing folder is made only when files are written, so a run refused later
        (a config error, nothing to publish) leaves no empty folder behind.
        """
        if not os.path.lexists(self.root):
            # Made when the files are written; but a file where a parent folder must be
            # can be told now, before the build's work.
            parent = Path(os.path.abspath(self.root)).parent
            while not os.path.lexists(parent) and parent != parent.parent:
                parent = parent.parent
            if not os.path.isdir(parent):
                raise PublishError(f"{self.root}: cannot create the output folder: {os.strerror(errno.ENOTDIR)}")
            return
        fd = self._open_root(create=False)
        if fd is not None:
            os.close(fd)

    def _check_name(self, name: str) -> None:
        parts = name.split("/")
        if name.startswith("/") or "\0" in name or any(p in ("", ".", "..") for p in parts):
            raise PublishError(f"{self.root}: refusing to write {name!r} outside the folder")
        if parts[0] in _RESERVED:
            raise PublishError(f"{self.root}: refusing to write {name!r}: feedpub keeps its own files under that name")

    def _open_root(self, *, create: bool) -> int | None:
        if create:
            try:
                # The output path itself may go through the user's links, a dangling one too
                # (``--output link`` before its folder exists): make the folder it names.
                os.makedirs(os.path.realpath(self.root), exist_ok=True)
            except FileExistsError:
                raise PublishError(f"{self.root}: not a folder (the output must be one)") from None
            except OSError as exc:
                raise PublishError(f"{self.root}: cannot create the output folder: {reason(exc)}") from exc
        try:
            return os.open(self.root, _DIR)
        except FileNotFoundError:
            if create:
                raise PublishError(f"{self.root}: the output folder vanished") from None
            return None
        except NotADirectoryError:
            raise PublishError(f"{self.root}: not a folder (the output must be one)") from None
        except OSError as exc:
            raise PublishError(f"{self.root}: cannot open the output folder: {reason(exc)}") from exc

    def _step(self, root_fd: int, item: OutputFile, record: frozenset[str], *, legacy: bool = False) -> _Step:
        """Check ``item``'s name in the folder, never following a link (see :meth:`publish`)."""
        parts = item.name.split("/")
        for depth in range(1, len(parts) + 1):
            name = "/".join(parts[:depth])
            path = self.root / name
            try:
                # The folders before it were checked to be real ones: no link is on the way.
                st = os.stat(name, dir_fd=root_fd, follow_symlinks=False)
            except FileNotFoundError:
                return _Step(item, write=True)
            except OSError as exc:
                return _Step(item, False, f"{path}: cannot be checked: {reason(exc)}")
            mode = st.st_mode
            if depth < len(parts):
                if stat.S_ISLNK(mode):
                    return _Step(item, False, f"{path}: is a link; feedpub never writes through one")
                if not stat.S_ISDIR(mode):
                    return _Step(item, False, f"{path}: is not a folder; {item.name} cannot be written")
                continue
            if stat.S_ISLNK(mode):
                if item.name in record:
                    return _Step(item, write=True)  # feedpub's file swapped for a link: the link goes
                return _Step(item, False, f"{path}: is a link ({self._link(root_fd, name)}) feedpub did not make; not replaced")
            if stat.S_ISDIR(mode):
                return _Step(item, False, f"{path}: is a folder; not replaced")
            if not stat.S_ISREG(mode):
                return _Step(item, False, f"{path}: is not a regular file; not replaced")
            if st.st_size == len(item.data) and self._read(root_fd, name) == item.data:
                return _Step(item, write=False)
            if item.name in record:
                return _Step(item, write=True)
            if legacy and written.earlier_own(item.name, self._read(root_fd, name) or b"", item.data):
                return _Step(item, write=True)  # this feed as a feedpub from before records wrote it
            return _Step(
                item,
                False,
                f"{path}: exists and feedpub did not write it (not in {written.RECORD_NAME}); not overwritten: "
                "move it away to let feedpub write there",
            )
        raise AssertionError("unreachable: the loop returns at its last part")

    @staticmethod
    def _link(root_fd: int, name: str) -> str:
        try:
            return "to " + printable(os.readlink(name, dir_fd=root_fd))
        except OSError:
            return "unreadable"

    @staticmethod
    def _read(root_fd: int, name: str) -> bytes | None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=root_fd)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            with os.fdopen(os.dup(fd), "rb") as fh:
                return fh.read()
        except OSError:
            return None
        finally:
            os.close(fd)

    @staticmethod
    def _new_record(root_fd: int, record: frozenset[str], files: Sequence[OutputFile]) -> frozenset[str]:
        """This run's names and the recorded ones whose file is still there (a name gone is forgotten)."""
        kept = set()
        for name in record:
            try:
                os.stat(name, dir_fd=root_fd, follow_symlinks=False)
                kept.add(name)
            except OSError:
                pass
        return frozenset(kept | {f.name for f in files})

    def _stale(self, root_fd: int, record: frozenset[str], files: Sequence[OutputFile]) -> list[str]:
        """The recorded names this run does not write whose file is still a regular file (the first ``max_deletes``)."""
        names = {f.name for f in files}
        stale = []
        for name in sorted(record - names):
            parent, leaf = self._open_parent(root_fd, name)
            if parent is None:
                continue
            try:
                if stat.S_ISREG(os.stat(leaf, dir_fd=parent, follow_symlinks=False).st_mode):
                    stale.append(name)
            except OSError:
                pass  # gone already: forgotten by the record
            finally:
                if parent != root_fd:
                    os.close(parent)
        return stale[: self.max_deletes]

    @staticmethod
    def _open_parent(root_fd: int, name: str) -> tuple[int | None, str]:
        """The folder holding ``name``, opened without following a link on the way (None: no such folder)."""
        parts = name.split("/")
        if any(p in ("", ".", "..") for p in parts) or parts[0] in _RESERVED:
            return None, parts[-1]  # never a name feedpub writes: a damaged or edited record
        parent = root_fd
        for part in parts[:-1]:
            try:
                fd = os.open(part, _DIR | os.O_NOFOLLOW, dir_fd=parent)
            except OSError:
                fd = -1
            if parent != root_fd:
                os.close(parent)
            if fd < 0:
                return None, parts[-1]
            parent = fd
        return parent, parts[-1]

    def _delete(self, root_fd: int, name: str) -> bool:
        """Remove one stale file (never through a link), then its folders left empty; False if it was not there."""
        parent, leaf = self._open_parent(root_fd, name)
        if parent is None:
            return False
        try:
            if not stat.S_ISREG(os.stat(leaf, dir_fd=parent, follow_symlinks=False).st_mode):
                return False
            os.unlink(leaf, dir_fd=parent)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise PublishError(f"{self.root / name}: cannot delete: {reason(exc)}") from exc
        finally:
            if parent != root_fd:
                os.close(parent)
        folders = name.split("/")[:-1]
        while folders:  # archive/<slug>/ of a feed that is gone: no empty folders left behind
            folder, leaf = self._open_parent(root_fd, "/".join(folders))
            if folder is None:
                break
            try:
                os.rmdir(leaf, dir_fd=folder)
            except OSError:
                break  # not empty (or not ours to remove): the folders above are not either
            finally:
                if folder != root_fd:
                    os.close(folder)
            folders.pop()
        return True

    def _sweep(self, root_fd: int) -> None:
        """Remove what a killed run left in the temporary folder, and the folder (errors ignored)."""
        try:
            fd = os.open(TEMP_FOLDER, _DIR | os.O_NOFOLLOW, dir_fd=root_fd)
        except OSError:
            return
        try:
            sweep_temps(fd)
        finally:
            os.close(fd)
        try:
            os.rmdir(TEMP_FOLDER, dir_fd=root_fd)
        except OSError:
            pass  # a live writer's file is still in it, or the folder is read-only

    def _write(
        self,
        root_fd: int,
        steps: Sequence[_Step],
        record: frozenset[str],
        old_record: frozenset[str],
        progress: Progress | None,
    ) -> None:
        if record == old_record and not any(s.write for s in steps):
            if progress:
                progress(len(steps), len(steps))
            return  # nothing to write: not even the temporary folder is made
        temp_fd = self._temp_folder(root_fd)
        try:
            if record != old_record:
                # Before the files: a run killed after writing a file has it on record.
                self._put(temp_fd, root_fd, written.RECORD_NAME, written.dump(record))
            # Files at the top of the folder (every feed) are written in batches, their data
            # synced together; a name in a subfolder (rare) one at a time.
            batch: list[_Step] = []
            for done, step in enumerate(steps, 1):
                if step.write and "/" not in step.item.name:
                    batch.append(step)
                elif step.write:
                    self._put(temp_fd, root_fd, step.item.name, step.item.data)
                if len(batch) >= SYNC_BATCH or done == len(steps):
                    self._put_many(temp_fd, root_fd, batch)
                    batch = []
                if progress:
                    progress(done, len(steps))
            try:
                os.fsync(root_fd)  # the renames too, not only the data, survive a power cut
            except OSError:
                pass  # some file systems cannot sync a folder; the data itself is synced
        finally:
            # Every write has ended, so a temporary file still here is debris: one a signal
            # left when it arrived between the file's creation and the cleanup guarding it.
            sweep_temps(temp_fd)
            os.close(temp_fd)
            try:
                os.rmdir(TEMP_FOLDER, dir_fd=root_fd)
            except OSError:
                pass  # swept by the next run

    def _temp_folder(self, root_fd: int) -> int:
        where = self.root / TEMP_FOLDER
        try:
            os.mkdir(TEMP_FOLDER, 0o700, dir_fd=root_fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise PublishError(f"{self.root}: cannot write in the output folder: {reason(exc)}") from exc
        try:
            return os.open(TEMP_FOLDER, _DIR | os.O_NOFOLLOW, dir_fd=root_fd)
        except OSError as exc:
            raise PublishError(
                f"{where}: not a folder feedpub can keep its temporary files in ({reason(exc)}); remove it"
            ) from exc

    def _put_many(self, temp_fd: int, root_fd: int, steps: Sequence[_Step]) -> None:
        """Write the files of ``steps``, all at the top of the folder, their data synced together."""
        if not steps:
            return
        try:
            write_many_via(temp_fd, [(root_fd, s.item.name, s.item.data) for s in steps])
        except OSError as exc:
            raise PublishError(f"{self.root / str(exc.filename)}: cannot write: {reason(exc)}") from exc

    def _put(self, temp_fd: int, root_fd: int, name: str, data: bytes) -> None:
        """Write one file at ``name``, making its subfolders, none of them reached through a link."""
        parts = name.split("/")
        parent = root_fd
        try:
            for part in parts[:-1]:
                try:
                    os.mkdir(part, dir_fd=parent)
                except FileExistsError:
                    pass
                fd = os.open(part, _DIR | os.O_NOFOLLOW, dir_fd=parent)
                if parent != root_fd:
                    os.close(parent)
                parent = fd
            write_via(temp_fd, parent, parts[-1], data)
        except OSError as exc:
            raise PublishError(f"{self.root / name}: cannot write: {reason(exc)}") from exc
        finally:
            if parent != root_fd:
                os.close(parent)
