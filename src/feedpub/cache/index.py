"""The parse cache's index file: entries in the scan's order, in CRC-checked blocks, read and written as a stream."""

from __future__ import annotations

import errno
import fcntl
import marshal
import os
import stat
import struct
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from feedpub.cache.codec import _MARSHAL, version_tag
from feedpub.collect.scan import path_order
from feedpub.files import TEMP_SUFFIX, clear
from feedpub.records import ArticleRef, Rejection

_Rec = tuple[str] | tuple[str, int, float, bool, tuple[str, ...], int, int, int, bytes]
Entry = tuple[str, int, int, _Rec]
"""One index entry as stored (marshal keeps plain tuples only): ``(path, size, mtime_ns,
rec)``, where ``rec`` is ``(reason,)`` for a rejected file and, for an accepted one, the
fields of its :class:`~feedpub.records.ArticleRef` after the path. Only this package
sees entries: :func:`result` and :func:`stored` convert at the boundary."""

_new_tuple = tuple.__new__


def result(path: str, rec: object) -> ArticleRef | Rejection | None:
    """What a stored ``rec`` of the file at ``path`` says, or None when it is malformed."""
    if type(rec) is not tuple:
        return None
    if len(rec) == 9:
        # The tuple type's own constructor: a third of the cost of the NamedTuple's
        # keyword-checking one, and this runs once per cached file.
        return _new_tuple(ArticleRef, (path, *rec))
    if len(rec) == 1:
        return Rejection(path, rec[0])
    return None


def stored(item: ArticleRef | Rejection) -> _Rec:
    """The ``rec`` of an index entry for a parse result (see :data:`Entry`)."""
    if isinstance(item, ArticleRef):
        return item[1:]  # a plain tuple: slicing drops the NamedTuple type
    return (item.reason,)


_BLOCK = struct.Struct(">II")  # payload length, CRC-32 of the payload
_BLOCK_ENTRIES = 1024
_MAX_BLOCK = 64 * 1024 * 1024  # a longer "block" is damage, not data: never allocated
_END = "end"
_Head = tuple[tuple[int, str, bytes], int, bytes]  # version tag, next segment, entry count


def _descends(a: str, b: str) -> bool:
    """Whether path ``a`` comes before path ``b`` in the scan's newest-first order."""
    return path_order(a) > path_order(b)


class _IndexReader:
    """The entries of an index file, one block in memory at a time.

    Stops at the first block that is damaged or truncated: the entries after it are
    missing, so their files are parsed again.
    """

    def __init__(self, path: Path) -> None:
        self.next_segment = 1
        self.count = 0
        """How many entries the writer put in (what the run that wrote it scanned)."""
        self._fh: BinaryIO | None = None
        try:
            self._fh = _open_regular(path)
            head = self._block()
            if not (isinstance(head, tuple) and len(head) == 3 and head[0] == version_tag()):
                raise ValueError("not an index of this version and code")
            if not isinstance(head[1], int) or not isinstance(head[2], bytes):
                raise ValueError("bad header")
            self.next_segment = head[1]
            self.count = int.from_bytes(head[2], "big")
        except (OSError, ValueError, EOFError, TypeError):
            self.close()
        self.valid = self._fh is not None
        """Whether the file is an index of this version (else it has no entries)."""

    def _block(self) -> object:
        assert self._fh is not None
        raw = self._fh.read(_BLOCK.size)
        if len(raw) != _BLOCK.size:
            raise EOFError
        length, crc = _BLOCK.unpack(raw)
        if length > _MAX_BLOCK:
            raise ValueError("block too long")
        body = self._fh.read(length)
        if len(body) != length or zlib.crc32(body) != crc:
            raise ValueError("damaged block")
        return marshal.loads(body)

    def __iter__(self) -> Iterator[Entry]:
        while self._fh is not None:
            try:
                block = self._block()
            except (OSError, ValueError, EOFError, TypeError):
                break
            if block == _END:
                break
            if not isinstance(block, list):
                break
            for entry in block:
                if type(entry) is tuple and len(entry) == 4 and type(entry[0]) is str and type(entry[3]) is tuple:
                    yield entry
        self.close()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (a FIFO there must not hang the run)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return os.fdopen(fd, "rb")


class _IndexWriter:
    """Writes index entries in order into a temporary file; :meth:`commit` renames it into place.

    The temporary file is flock()ed while it is written, so a run sweeping the debris
    of killed runs (:func:`feedpub.files.sweep_temps`) never deletes a live one.
    """

    def __init__(self, folder: Path, next_segment: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".index.bin.", suffix=TEMP_SUFFIX, dir=folder)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self.path = Path(tmp)
        self._fh = os.fdopen(fd, "wb")
        self._buffer: list[Entry] = []
        self.live: dict[int, int] = {}
        """Bytes of records still referred to, per segment."""
        self.count = 0
        self._next_segment = next_segment
        self._write(self._head())

    def _head(self) -> _Head:
        # The count as 8 bytes: the header keeps its length when commit() rewrites it.
        return (version_tag(), self._next_segment, self.count.to_bytes(8, "big"))

    def _write(self, payload: _Head | list[Entry] | str) -> None:
        body = marshal.dumps(payload, _MARSHAL)
        self._fh.write(_BLOCK.pack(len(body), zlib.crc32(body)))
        self._fh.write(body)

    def add(self, entry: Entry) -> None:
        rec = entry[3]
        if len(rec) > 1:  # an accepted file: count its record (segment, length) as live
            self.live[rec[5]] = self.live.get(rec[5], 0) + rec[7]
        self._buffer.append(entry)
        self.count += 1
        if len(self._buffer) >= _BLOCK_ENTRIES:
            self._write(self._buffer)
            self._buffer = []

    def commit(self, target: Path) -> None:
        """Finish the file and put it in place of ``target`` (readers see the old or the new one)."""
        if self._buffer:
            self._write(self._buffer)
            self._buffer = []
        self._write(_END)
        self._fh.seek(0)
        self._write(self._head())  # now with the count
        self._fh.close()
        try:
            os.replace(self.path, target)
        except OSError as exc:
            if exc.errno not in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR) or target == self.path:
                raise
            clear(target)  # a folder where the index belongs: the cache folder is feedpub's own
            os.replace(self.path, target)

    def abort(self) -> None:
        """Drop the file being written (errors ignored: this runs on the way out of a failure)."""
        try:
            self._fh.close()
        except OSError:
            pass
        self.path.unlink(missing_ok=True)
