"""The parse cache's record files: full article records appended to numbered files.

``records-<n>.bin`` holds the records one run parsed, one after the other; the index
refers to each by (segment, offset, length, BLAKE2 digest). A file is never rewritten
in place: a new name gets the new records, a compaction copies the live ones into a new
file, and files no index refers to are deleted after the index is saved.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from feedpub.files import clear

_COMPACT_BELOW = 0.5
"""Compact when less than this share of the record files' bytes is still referred to."""
_MAX_SEGMENTS = 16


class RecordFiles:
    """The record files of one cache folder: append this run's records, read any by reference."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.next_segment = 1
        """The lowest number a new record file may take (the index remembers it)."""
        self._segment: int | None = None
        self._out: BinaryIO | None = None
        self._out_size = 0
        self._readers: dict[int, int] = {}

    def path(self, segment: int) -> Path:
        """The file of record segment number ``segment``."""
        return self.folder / f"records-{segment}.bin"

    def free(self) -> int:
        """A number above every record file in the folder (one a killed run left too)."""
        numbers = [int(p.name[8:-4]) for p in self.folder.glob("records-*.bin") if p.name[8:-4].isdigit()]
        return max(numbers, default=0) + 1

    def append(self, blob: bytes) -> tuple[int, int]:
        """Store a record; ``(segment, offset)`` of where it went."""
        if self._out is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            segment = max(self.next_segment, self.free())
            fd: int | None = None
            while fd is None:
                # A new name no index refers to yet: writing it in place is safe. Created,
                # never opened as found: another run may have just taken the number.
                try:
                    fd = os.open(self.path(segment), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
                except FileExistsError:
                    segment += 1
            self._segment, self.next_segment = segment, segment + 1
            self._out = os.fdopen(fd, "wb")
            self._out_size = 0
        offset = self._out_size
        self._out.write(blob)
        self._out_size += len(blob)
        assert self._segment is not None
        return self._segment, offset

    def read(self, segment: int, offset: int, length: int, digest: bytes) -> bytes | None:
        """The record stored there, or None when it is gone or does not match its digest."""
        fd = self._readers.get(segment)
        try:
            if segment == self._segment and self._out is not None:
                self._out.flush()
            if fd is None:
                # Without blocking, and only a regular file: a FIFO there must not hang the run.
                fd = os.open(self.path(segment), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    os.close(fd)
                    return None
                self._readers[segment] = fd
            blob = os.pread(fd, length, offset)
        except (OSError, OverflowError, TypeError, ValueError):
            return None
        if len(blob) != length or hashlib.blake2b(blob, digest_size=16).digest() != digest:
            return None
        return blob

    def flush(self) -> None:
        """Push appended records to the file (before the index that refers to them is saved)."""
        if self._out is not None:
            self._out.flush()

    def start_new(self) -> None:
        """Close the file being appended to: the next record starts a new one."""
        out, self._segment, self._out = self._out, None, None
        if out is not None:
            out.close()
        self.next_segment = max(self.next_segment, self.free())

    def close(self) -> None:
        """Close the file being appended to and every file opened for reading.

        Raises OSError when the last appended records could not be written (a full disk).
        """
        out, self._out = self._out, None
        try:
            if out is not None:
                out.close()
        finally:
            for fd in self._readers.values():
                os.close(fd)
            self._readers.clear()

    def compact_due(self, live: dict[int, int]) -> bool:
        """Whether the files hold mostly records no entry refers to, or are too many.

        ``live``: bytes still referred to, per segment.
        """
        total = 0
        for n in live:
            try:
                total += self.path(n).stat().st_size
            except OSError:
                pass
        return bool(total) and (sum(live.values()) < _COMPACT_BELOW * total or len(live) > _MAX_SEGMENTS)

    def delete_unused(self, live: dict[int, int]) -> None:
        """Delete the record files no entry of the saved index refers to."""
        for path in self.folder.glob("records-*.bin"):
            n = path.name[8:-4]
            if not n.isdigit() or int(n) not in live:
                try:
                    clear(path)  # whatever it is: a folder at that name too
                except OSError:
                    pass  # tried again by the next run that saves
