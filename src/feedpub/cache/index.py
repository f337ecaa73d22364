"""The parse cache's index file: entries in the scan's order, in CRC-checked blocks, read and written as a stream."""

from __future__ import annotations

import marshal
import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from feedpub.cache.codec import _MARSHAL, version_tag
from feedpub.collect.scan import path_order

# One index entry: (path, size, mtime_ns, rec) where rec is (reason,) for a rejection
# or (segment, offset, length, digest, published_us, url, quality, published, topics).
_Entry = tuple  # type: ignore[type-arg]

_BLOCK = struct.Struct(">II")  # payload length, CRC-32 of the payload
_BLOCK_ENTRIES = 1024
_MAX_BLOCK = 64 * 1024 * 1024  # a longer "block" is damage, not data: never allocated
_END = "end"


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
        self._fh = None
        try:
            self._fh = open(path, "rb")  # noqa: SIM115 - closed at the end of iteration
            head = self._block()
            if not (isinstance(head, tuple) and len(head) == 4 and head[:2] == version_tag()):
                raise ValueError("not an index of this version")
            if not isinstance(head[2], int) or not isinstance(head[3], bytes):
                raise ValueError("bad header")
            self.next_segment = head[2]
            self.count = int.from_bytes(head[3], "big")
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

    def __iter__(self) -> Iterator[_Entry]:
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


class _IndexWriter:
    """Writes index entries in order into a temporary file; :meth:`commit` renames it into place."""

    def __init__(self, folder: Path, next_segment: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".index.bin.", suffix=".tmp", dir=folder)
        self.path = Path(tmp)
        self._fh = os.fdopen(fd, "wb")
        self._buffer: list[_Entry] = []
        self.live: dict[int, int] = {}
        """Bytes of records still referred to, per segment."""
        self.count = 0
        self._next_segment = next_segment
        self._write(self._head())

    def _head(self) -> tuple:  # type: ignore[type-arg]
        # The count as 8 bytes: the header keeps its length when commit() rewrites it.
        return (*version_tag(), self._next_segment, self.count.to_bytes(8, "big"))

    def _write(self, payload: object) -> None:
        body = marshal.dumps(payload, _MARSHAL)
        self._fh.write(_BLOCK.pack(len(body), zlib.crc32(body)))
        self._fh.write(body)

    def add(self, entry: _Entry) -> None:
        rec = entry[3]
        if len(rec) > 1:
            self.live[rec[0]] = self.live.get(rec[0], 0) + rec[2]
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
        os.replace(self.path, target)

    def abort(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)
