"""The persistent caches that make reruns cheap: parsed articles and rendered feeds.

Layout of the cache folder (safe to delete at any time; it is rebuilt):

- ``index.bin``: one entry per article file, keyed by path, valid while the file's
  (size, mtime_ns) are unchanged: a rejection reason, or the few fields selection
  needs plus where the full record is stored and its BLAKE2 digest. The entries are in
  the scan's newest-first order, in CRC-checked blocks of 1,024, and are read and
  written as a stream beside the scan: a run holds one block, not the whole index.
- ``records-<n>.bin``: full article records, appended by the run that parsed them and
  never rewritten in place; files no index refers to are deleted.
- ``feeds/`` and ``feeds.bin``: the last rendered bytes of each feed file with the digest
  of everything its rendering read, so an unchanged topic is not rendered again.

Everything is stored with :mod:`marshal` (plain tuples, strings and numbers: the fastest
format to load that measured here, and it never runs code as pickle can). Every file
carries a format version and feedpub's version, the index CRCs, each record a digest;
anything that does not check out is ignored and rebuilt, never trusted. Marshal is
still not meant for data from strangers: the folder is the user's own, do not share it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from feedpub import __version__
from feedpub.files import write_atomic
from feedpub.records import Article, Image, Provider, Rejection, Related, Selection
from feedpub.scan import path_order

FORMAT_VERSION = 2
"""Bump when the stored layout or the meaning of a field changes: old caches are dropped."""

_MAGIC = b"FEEDPUBC"
_HEAD = struct.Struct(">8sII")  # magic, payload length, CRC-32 of the payload
_MARSHAL = 4
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
# Entries whose records live in a segment with less than this share still in use make
# the next save copy the live records into a fresh segment.
_COMPACT_BELOW = 0.5
_MAX_SEGMENTS = 16
_RACY_NS = 100_000_000  # mtime ticks are a few ms on Linux


def _micros(when: datetime) -> int:
    return (when - _EPOCH) // _US


def _when(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _provider(p: Provider | None) -> tuple[str, str | None] | None:
    return None if p is None else (p.name, p.domain)


def _unprovider(t: tuple[str, str | None] | None) -> Provider | None:
    return None if t is None else Provider(t[0], t[1])


def encode(record: Article | Rejection) -> tuple:  # type: ignore[type-arg]
    """A parse result as plain values: ``(reason,)`` or ``(digest, blob, selection fields)``.

    Runs in worker processes, so only cheap-to-pickle bytes and tuples cross back.
    """
    if isinstance(record, Rejection):
        return (record.reason,)
    a = record
    blob = marshal.dumps(
        (
            a.title,
            a.url,
            _micros(a.published_at),
            a.excerpt,
            a.quality,
            a.published,
            a.topics,
            tuple((i.url, i.width, i.height, i.title) for i in a.images),
            _provider(a.provider),
            tuple(
                (r.title, r.url, _provider(r.provider), None if r.published_at is None else _micros(r.published_at))
                for r in a.related
            ),
            a.kind,
        ),
        _MARSHAL,
    )
    digest = hashlib.blake2b(blob, digest_size=16).digest()
    return (digest, blob, _micros(a.published_at), a.url, a.quality, a.published, a.topics)


def decode(path: str, blob: bytes) -> Article:
    """The full Article stored by :func:`encode`."""
    title, url, published, excerpt, quality, flag, topics, images, provider, related, kind = marshal.loads(blob)
    return Article(
        path=path,
        title=title,
        url=url,
        published_at=_when(published),
        excerpt=excerpt,
        quality=quality,
        published=flag,
        topics=topics,
        images=tuple(Image(*i) for i in images),
        provider=_unprovider(provider),
        related=tuple(Related(t, u, _unprovider(p), None if w is None else _when(w)) for t, u, p, w in related),
        kind=kind,
    )


@dataclass(frozen=True, slots=True)
class Stub(Article):
    """An article known from the cache by its selection fields only.

    Selection looks at nothing else; :meth:`ParseCache.resolve` swaps in the full record
    (found by ``ref``) for the few that end up in a feed, so a rerun decodes only those.
    """

    ref: tuple = ()  # type: ignore[type-arg]


def _pack(payload: object) -> tuple[bytes, bytes]:
    """A cache file's header and body (written one after the other: the index can be
    tens of megabytes, and joining them would copy it)."""
    body = marshal.dumps(payload, _MARSHAL)
    return _HEAD.pack(_MAGIC, len(body), zlib.crc32(body)), body


def _unpack(data: bytes) -> object | None:
    """The payload of a cache file, or None when it is not one, truncated or damaged."""
    if len(data) < _HEAD.size:
        return None
    magic, length, crc = _HEAD.unpack_from(data)
    body = memoryview(data)[_HEAD.size :]  # not a copy of a file that can be tens of megabytes
    if magic != _MAGIC or len(body) != length or zlib.crc32(body) != crc:
        return None
    try:
        payload = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(payload, tuple) or len(payload) != 4 or payload[:2] != (FORMAT_VERSION, __version__):
        return None
    return payload


def _read(path: Path) -> object | None:
    try:
        return _unpack(path.read_bytes())
    except OSError:
        return None


Ref = tuple[int, int, int, bytes]
"""Where a full article record is stored: (segment, offset, length, BLAKE2 digest)."""

Fields = tuple[str, str, int, float, bool, tuple[str, ...], Ref]
"""An accepted article as selection reads it: (path, url, published_us, quality,
published, topics) and the :data:`Ref` of its full record."""

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
            if not (isinstance(head, tuple) and len(head) == 4 and head[:2] == (FORMAT_VERSION, __version__)):
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
        return (FORMAT_VERSION, __version__, self._next_segment, self.count.to_bytes(8, "big"))

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


class ParseCache:
    """Parse results of article files, keyed by (path, size, mtime_ns), read as a stream.

    The index lists the files in the scan's newest-first order, so a run walks it side
    by side with the scan (a merge, as of two sorted lists): memory holds one block of
    entries, never an entry per file. Use: :meth:`find` each file in that order, then
    :meth:`keep` what was found or :meth:`store` what had to be parsed, in the same
    order; :meth:`resolve` the selections; :meth:`save` (entries of files not found
    this run are dropped). A lookup out of order is only a miss. ``hits``, ``parsed``
    and ``dropped`` count what happened.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.parsed = 0
        self.dropped = 0
        self._reader: _IndexReader | None = None
        self._entries: Iterator[_Entry] | None = None
        self._current: _Entry | None = None
        self._writer: _IndexWriter | None = None
        self._kept = 0  # entries taken over unchanged before the first change
        self._next_segment = 1
        self._segment: int | None = None
        self._out = None  # type: ignore[var-annotated]
        self._out_size = 0
        self._readers: dict[int, int] = {}
        self._full: dict[str, Article] = {}
        self._digests: dict[str, bytes] = {}
        self._bad: dict[str, _Entry | None] = {}
        # Files whose stored record was damaged: the entry to put in its place, or None
        # to drop it (parsed again next run).
        self._topics: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._trusted = False
        self._saved = False
        self.racy = False
        """Whether an entry was stored that the next run must not trust (see :meth:`store`)."""
        self.unsettled = False
        """Whether a stored record turned out damaged or its file changed during the run."""

    @property
    def _index(self) -> Path:
        return self.folder / "index.bin"

    def _open(self) -> None:
        """Start reading the index on first use: a run that reuses its selection never does."""
        if self._reader is not None:
            return
        self._reader = _IndexReader(self._index)
        self._next_segment = self._reader.next_segment
        self._entries = iter(self._reader)
        self._current = next(self._entries, None)
        if not self._reader.valid:
            self._changed()  # a missing or unusable index is rewritten

    def _rest(self) -> Iterator[_Entry]:
        """The entries not reached yet (consumed as they are given)."""
        current, self._current = self._current, None
        if current is not None:
            yield current
        if self._entries is not None:
            yield from self._entries

    @property
    def expected(self) -> int | None:
        """How many files the last run had: an estimate of this run's, for progress."""
        self._open()
        assert self._reader is not None
        return self._reader.count if self._reader.valid else None

    def trust(self, files: int) -> None:
        """Take every file as the index has it (a selection snapshot said so).

        The index is then neither read nor rewritten, unless a record of an article in a
        feed turns out damaged (:meth:`verify`).
        """
        self._trusted = True
        self.hits = files

    def _changed(self) -> None:
        """This run's index differs from the stored one: start writing it."""
        if self._writer is not None:
            return
        self._open()
        self._writer = _IndexWriter(self.folder, max(self._next_segment, self._free_segment()))
        if self._kept:
            # The entries passed so far were all taken over as they are: copy them.
            replay = _IndexReader(self._index)
            for n, entry in enumerate(replay, 1):
                self._writer.add(entry)
                if n == self._kept:
                    break
            replay.close()

    def _free_segment(self) -> int:
        numbers = [int(p.name[8:-4]) for p in self.folder.glob("records-*.bin") if p.name[8:-4].isdigit()]
        return max(numbers, default=0) + 1

    def find(self, path: str, size: int, mtime_ns: int) -> tuple | None:  # type: ignore[type-arg]
        """The stored record of a file whose size and mtime are unchanged, else None.

        Moves through the index to ``path``: entries passed on the way belong to files
        that are gone, and are dropped.
        """
        if self._trusted:
            raise RuntimeError("ParseCache.find after trust()")
        self._open()
        entries = self._entries
        current = self._current
        while current is not None:
            here = current[0]
            if here == path:
                self._current = next(entries, None)  # type: ignore[arg-type]
                rec = current[3]
                if current[1] == size and current[2] == mtime_ns and type(rec) is tuple and len(rec) in (1, 9):
                    return rec
                self._changed()
                return None
            if not _descends(here, path):
                break  # a new file: the index goes on after it
            self._changed()
            self.dropped += 1
            current = next(entries, None)  # type: ignore[arg-type]
        self._current = current
        self._changed()
        return None

    def keep(self, path: str, size: int, mtime_ns: int, rec: tuple, *, fields: bool = False) -> Article | Rejection | Fields:  # type: ignore[type-arg]
        """Take over what :meth:`find` returned; returns what selection gets (a Stub, or its Fields)."""
        self.hits += 1
        if self._writer is None:
            self._kept += 1
        else:
            self._writer.add((path, size, mtime_ns, rec))
        return self._fields(path, rec) if fields else self._record(path, rec)

    @staticmethod
    def _record(path: str, rec: tuple) -> Article | Rejection:  # type: ignore[type-arg]
        if len(rec) == 1:
            return Rejection(path, rec[0])
        segment, offset, length, digest, published, url, quality, flag, topics = rec
        return Stub(path, "", url, _when(published), "", quality, flag, topics, ref=(segment, offset, length, digest))

    @staticmethod
    def _fields(path: str, rec: tuple) -> Fields | Rejection:  # type: ignore[type-arg]
        if len(rec) == 1:
            return Rejection(path, rec[0])
        return (path, rec[5], rec[4], rec[6], rec[7], rec[8], rec[:4])

    @staticmethod
    def stub(path: str, url: str, published_us: int, quality: float, published: bool, topics: tuple[str, ...], ref: Ref) -> Stub:
        """The :class:`Stub` of an article given by its :data:`Fields` (the selector's factory)."""
        return Stub(path, "", url, _when(published_us), "", quality, published, topics, ref=ref)

    def store(self, path: str, size: int, mtime_ns: int, encoded: tuple, *, fields: bool = False) -> Article | Rejection | Fields:  # type: ignore[type-arg]
        """Keep a fresh parse result (from :func:`encode`); returns what selection gets (a Stub, or its Fields)."""
        self._changed()
        self.parsed += 1
        entry = self._entry(path, size, mtime_ns, encoded)
        assert self._writer is not None
        self._writer.add(entry)
        rec = entry[3]
        return self._fields(path, rec) if fields else self._record(path, rec)

    def _entry(self, path: str, size: int, mtime_ns: int, encoded: tuple) -> _Entry:  # type: ignore[type-arg]
        """The index entry of a fresh parse result, its full record appended to a record file."""
        # File systems with whole-second times (FAT: two) leave a far wider window.
        window = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else _RACY_NS
        if time.time_ns() - mtime_ns < window:
            # Written moments ago: another write in the same clock tick could keep size
            # and mtime, so this entry must not be trusted by the next run.
            mtime_ns = -1
            self.racy = True
        if len(encoded) == 1:
            return (path, size, mtime_ns, encoded)
        digest, blob, published, url, quality, flag, topics = encoded
        # One tuple (and one string per name) for every article with these topics.
        shared = self._topics.get(topics)
        if shared is None:
            if len(self._topics) >= 4096:
                self._topics.clear()  # bounded: a large archive can have many combinations
            shared = self._topics[topics] = tuple(map(sys.intern, topics))
        segment, offset = self._append(blob)
        return (path, size, mtime_ns, (segment, offset, len(blob), digest, published, url, quality, flag, shared))

    def _append(self, blob: bytes) -> tuple[int, int]:
        if self._out is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._segment = max(self._next_segment, self._free_segment())
            self._next_segment = self._segment + 1
            # A new name no index refers to yet: writing it in place is safe.
            self._out = open(self._segment_path(self._segment), "wb")  # noqa: SIM115
            self._out_size = 0
        offset = self._out_size
        self._out.write(blob)
        self._out_size += len(blob)
        assert self._segment is not None
        return self._segment, offset

    def _segment_path(self, n: int) -> Path:
        return self.folder / f"records-{n}.bin"

    def _blob(self, ref: tuple) -> bytes | None:  # type: ignore[type-arg]
        try:
            segment, offset, length, digest = ref[:4]
        except (TypeError, ValueError):
            return None
        if segment == self._segment and self._out is not None:
            self._out.flush()
        fd = self._readers.get(segment)
        try:
            if fd is None:
                fd = self._readers[segment] = os.open(self._segment_path(segment), os.O_RDONLY)
            blob = os.pread(fd, length, offset)
        except (OSError, OverflowError, TypeError, ValueError):
            return None
        if len(blob) != length or hashlib.blake2b(blob, digest_size=16).digest() != digest:
            return None
        return blob

    def full(self, article: Article) -> Article:
        """The complete record of an article that may be a :class:`Stub`."""
        if not isinstance(article, Stub):
            return article
        done = self._full.get(article.path)
        if done is not None:
            return done
        blob = self._blob(article.ref)
        if blob is not None:
            try:
                done = decode(article.path, blob)
            except (ValueError, EOFError, TypeError):
                pass
        if done is None:
            done = self._reparse(article)
        else:
            self._digests[article.path] = article.ref[3]
        self._full[article.path] = done
        return done

    def verify(self, articles: Iterable[Article]) -> None:
        """Check the stored records of these stubs (read and digest, no decoding).

        Run before :meth:`save` on the articles in feeds: a damaged or missing record is
        parsed again now (and its entry dropped, so the next run parses the file too),
        while the full records are decoded later, only for the feeds to be rendered.
        """
        for article in articles:
            if isinstance(article, Stub) and article.path not in self._full and self._blob(article.ref) is None:
                self._full[article.path] = self._reparse(article)

    def _reparse(self, article: Stub) -> Article:
        # The stored record is damaged or gone: parse the file again, and unless this
        # is after save(), put the fresh record in the index in place of the damaged one.
        from feedpub.collect import read_article

        self.unsettled = True
        self._bad[article.path] = None
        try:
            before = os.stat(article.path)
        except OSError:
            before = None
        fresh = read_article(Path(article.path))
        if isinstance(fresh, Rejection):
            # The file changed during this run: keep the item selection saw, titled by
            # its URL; the next run parses the file again.
            a = article
            return Article(a.path, a.url, a.url, a.published_at, "", a.quality, a.published, a.topics)
        if before is not None and not self._saved:
            self._bad[article.path] = self._entry(article.path, before.st_size, before.st_mtime_ns, encode(fresh))
        return fresh

    def digest(self, article: Article) -> bytes:
        """What identifies an article's full content, for render skipping."""
        if isinstance(article, Stub) and article.path not in self._bad:
            return article.ref[3]
        known = self._digests.get(article.path)
        if known is not None and article.path not in self._bad:
            return known
        return hashlib.blake2b(repr(article).encode(), digest_size=16).digest()

    def resolve(self, selections: Iterable[Selection | None]) -> list[Selection | None]:
        """The selections with every stub replaced by its full record (each decoded once a run)."""
        out: list[Selection | None] = []
        for sel in selections:
            if sel is None or not any(isinstance(a, Stub) for a in sel.items):
                out.append(sel)
                continue
            out.append(replace(sel, items=tuple(self.full(a) for a in sel.items)))
        return out

    def close(self) -> None:
        """Close the record files opened after :meth:`save` (to decode feeds' articles)."""
        self._close_files()

    def _close_files(self) -> None:
        """Close the record file being appended to and every record file opened for reading."""
        if self._out is not None:
            self._out.close()
            self._out = None
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()

    def save(self) -> None:
        """Write the index of this run's files (atomically) and delete unused record files."""
        if self._saved:
            return
        self._saved = True
        if self._out is not None:
            self._out.flush()
        if self._trusted:
            if not self._bad:
                self._close_files()
                return  # nothing was looked up or stored: the index stands as it is
            self._trusted = False
            self._changed()
            for entry in self._rest():
                kept = self._bad[entry[0]] if entry[0] in self._bad else entry
                if kept is not None:
                    self._writer.add(kept)  # type: ignore[union-attr]
            self._bad.clear()
        self._open()
        for _ in self._rest():
            self._changed()  # files not seen this run: gone
            self.dropped += 1
        writer = self._writer
        if writer is None:
            self._close_files()
            return  # every entry taken over as it was: the index on disk is this run's
        try:
            if self._bad or self._compact_due(writer.live):
                writer = self._rewrite(writer)
            self._close_files()
            writer.commit(self._index)
        except BaseException:
            writer.abort()
            self._close_files()
            raise
        for path in self.folder.glob("records-*.bin"):
            n = path.name[8:-4]
            if not n.isdigit() or int(n) not in writer.live:
                path.unlink(missing_ok=True)
        for path in self.folder.glob(".index.bin.*.tmp"):
            if path != writer.path:
                path.unlink(missing_ok=True)  # left by a run that was killed

    def _compact_due(self, live: dict[int, int]) -> bool:
        total = 0
        for n in live:
            try:
                total += self._segment_path(n).stat().st_size
            except OSError:
                pass
        return bool(total) and (sum(live.values()) < _COMPACT_BELOW * total or len(live) > _MAX_SEGMENTS)

    def _rewrite(self, written: _IndexWriter) -> _IndexWriter:
        """A second pass over this run's index: drop entries of damaged records and, when
        the record files hold mostly dead records, copy the live ones into a fresh one."""
        compact = self._compact_due(written.live)
        written.commit(written.path)  # finished, still under its temporary name
        if self._out is not None:
            self._out.close()
        self._segment, self._out = None, None
        self._next_segment = max(self._next_segment, self._free_segment())
        out = _IndexWriter(self.folder, self._next_segment + 1)
        reader = _IndexReader(written.path)
        try:
            for stored in reader:
                path, size, mtime_ns, rec = stored
                entry = self._bad[path] if path in self._bad else stored
                if entry is None:
                    continue
                rec = entry[3]
                if compact and len(rec) > 1:
                    blob = self._blob(rec)
                    if blob is None:
                        continue  # a damaged record: parsed again next run
                    segment, offset = self._append(blob)
                    entry = (entry[0], entry[1], entry[2], (segment, offset, *rec[2:]))
                out.add(entry)
        except BaseException:
            out.abort()
            raise
        finally:
            reader.close()
            written.path.unlink(missing_ok=True)
        return out


def _render_stamp() -> tuple:  # type: ignore[type-arg]
    """What rendering depends on besides the data: versions and the render code itself."""
    here = Path(__file__).parent
    stamps = []
    for name in ("render.py", "feedgen_fix.py", "content.py", "clean.py", "records.py"):
        try:
            st = (here / name).stat()
            stamps.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((name, None, None))
    try:
        # feedgen's own version module: importlib.metadata takes ~35 ms to find it,
        # a third of a no-change run's start-up.
        from feedgen.version import version_str as feedgen
    except Exception:  # noqa: BLE001 - an unknown version only means no reuse
        feedgen = None
    return (FORMAT_VERSION, __version__, feedgen, tuple(stamps))


class RenderCache:
    """The last rendered bytes of each feed file, reused while their inputs are unchanged."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "feeds"
        self.reused = 0
        self.rendered = 0
        self._stamp = repr(_render_stamp()).encode()
        payload = _read(Path(folder) / "feeds.bin")
        self._manifest: dict[str, tuple[bytes, bytes]] = {}
        if isinstance(payload, tuple) and payload[2] == self._stamp and isinstance(payload[3], dict):
            self._manifest = payload[3]
        self._index = Path(folder) / "feeds.bin"
        self._used: dict[str, tuple[bytes, bytes]] = {}

    @staticmethod
    def settings_key(settings: Sequence[object]) -> bytes:
        """The digest of the run-wide render settings (site, hubs, topic names): once a run."""
        return hashlib.blake2b(repr(tuple(settings)).encode(), digest_size=20).digest()

    @staticmethod
    def key(
        sel: Selection, settings: bytes, probed: Sequence[object], digest: Callable[[Article], bytes]
    ) -> bytes:
        """The digest of everything rendering one topic's feeds reads; :meth:`get` adds the format."""
        h = hashlib.blake2b(settings, digest_size=20)
        h.update(repr((probed, sel.topic, sel.updated, len(sel.items))).encode())
        for a in sel.items:
            h.update(a.path.encode("utf-8", "surrogatepass"))
            h.update(digest(a))
        return h.digest()

    def get(self, name: str, key: bytes) -> bytes | None:
        """The stored bytes of feed file ``name`` if rendered from the same inputs."""
        entry = self._manifest.get(name)
        if entry is None or entry[0] != key:
            return None
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        if hashlib.blake2b(data, digest_size=20).digest() != entry[1]:
            return None
        self._used[name] = entry
        self.reused += 1
        return data

    def put(self, name: str, key: bytes, data: bytes) -> None:
        """Remember freshly rendered bytes."""
        self.rendered += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written in place, not through a temporary file and a rename (a third of the
        # cost on some file systems): a torn or stale file fails the digest in get().
        (self.folder / name).write_bytes(data)
        self._used[name] = (key, hashlib.blake2b(data, digest_size=20).digest())

    def save(self) -> None:
        """Write the manifest of this run's feeds and drop files of feeds that are gone."""
        if self._used == self._manifest:
            return
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self._index, _pack((FORMAT_VERSION, __version__, self._stamp, self._used)), durable=False)
        for name in set(self._manifest) - set(self._used):
            (self.folder / name).unlink(missing_ok=True)


def _select_stamp() -> tuple:  # type: ignore[type-arg]
    """What a stored selection depends on besides the files and rules: the code choosing it."""
    here = Path(__file__).parent
    stamps = []
    for name in ("select.py", "cache.py", "parse.py", "frontmatter.py", "clean.py", "records.py"):
        try:
            st = (here / name).stat()
            stamps.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((name, None, None))
    return tuple(stamps)


def _index_token(folder: Path) -> tuple[int, int, int] | None:
    try:
        st = (folder / "index.bin").stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class SelectionSnapshot:
    """The last run's selection state, reused when nothing it depends on has changed.

    It depends on the article files (each path, size and mtime, in order), on the
    parse cache index it was computed with, on the code, on each feed's rules (checked
    by :meth:`Selector.restore`) and on the clock only through the moments listed in
    ``valid_until`` (an article falling due or aging out). A run with all of these
    unchanged skips reading the index and offering each article to the selector.
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "selection.bin"
        self.folder = Path(folder)

    @staticmethod
    def key(files_digest: bytes, extra: object) -> bytes:
        """The digest of the scanned files (:class:`feedpub.scan.Tally`) and anything else the selection reads."""
        h = hashlib.blake2b(files_digest, digest_size=20)
        h.update(repr((extra, _select_stamp())).encode())
        return h.digest()

    def load(self, key: bytes, now: datetime) -> tuple | None:  # type: ignore[type-arg]
        """``(state, rejected, valid until)`` stored under ``key`` if still valid at ``now``, else None."""
        payload = _read(self.path)
        if not isinstance(payload, tuple):
            return None
        try:
            (stored_key, token, until), (state, rejected) = payload[2], payload[3]
            if stored_key != key or token is None or tuple(token) != _index_token(self.folder):
                return None
            if until is not None and _micros(now) >= until:
                return None
            accepted, newest, held, spellings, feeds = state
            feeds = {
                k: (rules, total, [ParseCache.stub(*item) for item in items])
                for k, (rules, total, items) in feeds.items()
            }
            state = (accepted, None if newest is None else _when(newest), held, spellings, feeds)
            return state, [Rejection(p, r) for p, r in rejected], None if until is None else _when(until)
        except (TypeError, ValueError, OverflowError):
            return None

    def save(self, key: bytes, state: tuple, until: datetime | None, rejected: Sequence[Rejection]) -> bool:  # type: ignore[type-arg]
        """Store a selection state computed from every file (after ``cache.save()``).

        False (and nothing stored) when an item is not known by its stored record.
        """
        accepted, newest, held, spellings, feeds = state
        plain = {}
        for k, (rules, total, items) in feeds.items():
            if not all(isinstance(a, Stub) and a.ref for a in items):
                return False
            plain[k] = (
                rules,
                total,
                [(a.path, a.url, _micros(a.published_at), a.quality, a.published, a.topics, a.ref) for a in items],
            )
        body = (
            (key, _index_token(self.folder), None if until is None else _micros(until)),
            (
                (accepted, None if newest is None else _micros(newest), held, spellings, plain),
                [(r.path, r.reason) for r in rejected],
            ),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, _pack((FORMAT_VERSION, __version__, *body)), durable=False)
        return True

    def drop(self) -> None:
        """Forget the stored selection (it no longer matches)."""
        self.path.unlink(missing_ok=True)
