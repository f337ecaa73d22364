"""The persistent caches that make reruns cheap: parsed articles and rendered feeds.

Layout of the cache folder (safe to delete at any time; it is rebuilt):

- ``index.bin``: one entry per article file, keyed by path, valid while the file's
  (size, mtime_ns) are unchanged: a rejection reason, or the few fields selection
  needs plus where the full record is stored and its BLAKE2 digest.
- ``records-<n>.bin``: full article records, appended by the run that parsed them and
  never rewritten in place; files no index refers to are deleted.
- ``feeds/`` and ``feeds.bin``: the last rendered bytes of each feed file with the digest
  of everything its rendering read, so an unchanged topic is not rendered again.

Everything is stored with :mod:`marshal` (plain tuples, strings and numbers: the fastest
format to load that measured here, and it never runs code as pickle can). Every file
carries a format version and feedpub's version, the index a CRC, each record a digest;
anything that does not check out is ignored and rebuilt, never trusted. Marshal is
still not meant for data from strangers: the folder is the user's own, do not share it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from feedpub import __version__
from feedpub.files import write_atomic
from feedpub.records import Article, Image, Provider, Rejection, Related, Selection

FORMAT_VERSION = 1
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
    for the few that end up in a feed, so a no-change run decodes only those.
    """


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


Fields = tuple[str, str, int, float, bool, tuple[str, ...]]
"""An accepted article as selection reads it: (path, url, published_us, quality, published, topics)."""

# One index entry: (size, mtime_ns, rec) where rec is (reason,) for a rejection or
# (segment, offset, length, digest, published_us, url, quality, published, topics).
_Entry = tuple  # type: ignore[type-arg]


class ParseCache:
    """Parse results of article files, keyed by (path, size, mtime_ns).

    Use: :meth:`lookup` each file in path order; :meth:`store` what had to be parsed;
    :meth:`resolve` the selections; :meth:`save` (entries of files not looked up this
    run are dropped). ``hits`` and ``parsed`` count what happened.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.parsed = 0
        self.dropped = 0
        self._old: dict[str, _Entry] = {}
        self._new: dict[str, _Entry] = {}
        self._next_segment = 1
        self._segment: int | None = None
        self._out = None  # type: ignore[var-annotated]
        self._out_size = 0
        self._readers: dict[int, int] = {}
        self._full: dict[str, Article] = {}
        self._topics: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._dirty = False
        self._loaded = False
        self._trusted = False
        self.racy = False
        """Whether an entry was stored that the next run must not trust (see :meth:`store`)."""

    def _load(self) -> None:
        """Read the index on first use: a run that reuses its selection never needs it."""
        if self._loaded:
            return
        self._loaded = True
        payload = _read(self.folder / "index.bin")
        if isinstance(payload, tuple):
            _, _, next_segment, entries = payload
            if isinstance(next_segment, int) and isinstance(entries, dict):
                self._old = entries
                self._next_segment = next_segment
        if not self._old:
            self._dirty = True  # a missing or unusable index is rewritten

    def trust(self, entries: dict[str, _Entry], files: int) -> None:
        """Take every file as the index has it (a selection snapshot said so); keep ``entries``.

        Only the entries of the articles in feeds are needed then (for :meth:`full` and
        :meth:`digest`); the index is read only if one of those records is damaged.
        """
        self._trusted = True
        self._new = dict(entries)
        self.hits = files

    def _untrust(self) -> None:
        if self._trusted:
            self._trusted = False
            self._load()
            new = dict(self._old)
            new.update(self._new)
            self._new = new

    def __len__(self) -> int:
        return len(self._new)

    def fresh(self, path: str, size: int, mtime_ns: int) -> bool:
        """Whether the cache holds a result for this file as it is now."""
        self._load()
        entry = self._old.get(path)
        return entry is not None and entry[0] == size and entry[1] == mtime_ns

    def lookup(self, path: str, size: int, mtime_ns: int) -> Article | Rejection | None:
        """The cached result for a file whose size and mtime are unchanged, else None."""
        self._load()
        entry = self._old.get(path)
        if entry is None or entry[0] != size or entry[1] != mtime_ns:
            return None
        try:
            record = self._record(path, entry[2])
        except (TypeError, ValueError, IndexError):
            return None  # an entry of the wrong shape: parse the file again
        self._new[path] = entry
        self.hits += 1
        return record

    @staticmethod
    def _record(path: str, rec: tuple) -> Article | Rejection:  # type: ignore[type-arg]
        if len(rec) == 1:
            return Rejection(path, rec[0])
        _, _, _, _, published, url, quality, flag, topics = rec
        return Stub(path, "", url, _when(published), "", quality, flag, topics)

    @staticmethod
    def _fields(path: str, rec: tuple) -> Fields | Rejection:  # type: ignore[type-arg]
        if len(rec) == 1:
            return Rejection(path, rec[0])
        return (path, rec[5], rec[4], rec[6], rec[7], rec[8])

    @staticmethod
    def stub(path: str, url: str, published_us: int, quality: float, published: bool, topics: tuple[str, ...]) -> Stub:
        """The :class:`Stub` of an article given by its :data:`Fields` (the selector's factory)."""
        return Stub(path, "", url, _when(published_us), "", quality, published, topics)

    def lookup_fields(self, path: str, size: int, mtime_ns: int) -> Fields | Rejection | None:
        """:meth:`lookup`, giving an article as its :data:`Fields` instead of a Stub (cheaper)."""
        self._load()
        entry = self._old.get(path)
        if entry is None or entry[0] != size or entry[1] != mtime_ns:
            return None
        rec = entry[2]
        if type(rec) is not tuple or len(rec) not in (1, 9):
            return None  # an entry of the wrong shape: parse the file again
        self._new[path] = entry
        self.hits += 1
        return self._fields(path, rec)

    def store(self, path: str, size: int, mtime_ns: int, encoded: tuple, *, fields: bool = False) -> Article | Rejection | Fields:  # type: ignore[type-arg]
        """Keep a fresh parse result (from :func:`encode`); returns what selection gets (a Stub, or its Fields)."""
        self._load()  # segment numbers continue from the index's
        self.parsed += 1
        self._dirty = True
        # File systems with whole-second times (FAT: two) leave a far wider window.
        window = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else _RACY_NS
        if time.time_ns() - mtime_ns < window:
            # Written moments ago: another write in the same clock tick could keep size
            # and mtime, so this entry must not be trusted by the next run.
            mtime_ns = -1
            self.racy = True
        if len(encoded) == 1:
            rec: tuple = encoded  # type: ignore[type-arg]
        else:
            digest, blob, published, url, quality, flag, topics = encoded
            # One tuple (and one string per name) for every article with these topics:
            # the index holds an entry per file, so duplicates add up.
            shared = self._topics.get(topics)
            if shared is None:
                shared = self._topics[topics] = tuple(map(sys.intern, topics))
            topics = shared
            segment, offset = self._append(blob)
            rec = (segment, offset, len(blob), digest, published, url, quality, flag, topics)
        self._new[path] = (size, mtime_ns, rec)
        return self._fields(path, rec) if fields else self._record(path, rec)

    def _append(self, blob: bytes) -> tuple[int, int]:
        if self._out is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._segment = self._next_segment
            self._next_segment += 1
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

    def _blob(self, rec: tuple) -> bytes | None:  # type: ignore[type-arg]
        segment, offset, length, digest = rec[:4]
        if segment == self._segment and self._out is not None:
            self._out.flush()
        fd = self._readers.get(segment)
        try:
            if fd is None:
                fd = self._readers[segment] = os.open(self._segment_path(segment), os.O_RDONLY)
            blob = os.pread(fd, length, offset)
        except (OSError, OverflowError, TypeError):
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
        entry = self._new[article.path]
        blob = self._blob(entry[2])
        if blob is not None:
            try:
                done = decode(article.path, blob)
            except (ValueError, EOFError, TypeError):
                pass
        if done is None:
            done = self._reparse(article, entry)
        self._full[article.path] = done
        return done

    def verify(self, articles: Iterable[Article]) -> None:
        """Check the stored records of these stubs (read and digest, no decoding).

        Run before :meth:`save` on the articles in feeds, so that a damaged or missing
        record is parsed again and stored now, while the full records are decoded
        later, only for the feeds that have to be rendered.
        """
        for article in articles:
            if isinstance(article, Stub) and article.path not in self._full:
                entry = self._new.get(article.path)
                if entry is None or len(entry[2]) == 1 or self._blob(entry[2]) is None:
                    self._full[article.path] = self._reparse(article, entry)

    def _reparse(self, article: Article, entry: _Entry | None) -> Article:
        # The stored record is damaged or gone: parse the file again and keep that.
        from feedpub.collect import read_article

        self._untrust()
        fresh = read_article(Path(article.path))
        if isinstance(fresh, Rejection) or entry is None:
            # The file changed during this run: keep the item selection saw, titled by
            # its URL, and forget the entry so the next run parses the file again.
            self._new.pop(article.path, None)
            self._dirty = True
            a = article
            return Article(a.path, a.url, a.url, a.published_at, "", a.quality, a.published, a.topics)
        self.store(article.path, entry[0], entry[1], encode(fresh))
        self.parsed -= 1
        return fresh

    def digest(self, article: Article) -> bytes:
        """What identifies an article's full content, for render skipping."""
        entry = self._new.get(article.path)
        if entry is not None and len(entry[2]) > 1:
            return entry[2][3]
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
        self._close_files()
        if self._trusted:
            return  # nothing was looked up or stored: the index stands as it is
        self._load()
        self.dropped = len(set(self._old) - set(self._new))
        if not self._dirty and not self.dropped:
            return
        self._compact()
        self.folder.mkdir(parents=True, exist_ok=True)
        index = _pack((FORMAT_VERSION, __version__, self._next_segment, self._new))
        write_atomic(self.folder / "index.bin", index, durable=False)
        used = {e[2][0] for e in self._new.values() if len(e[2]) > 1}
        for path in self.folder.glob("records-*.bin"):
            n = path.name[8:-4]
            if not n.isdigit() or int(n) not in used:
                path.unlink(missing_ok=True)

    def _compact(self) -> None:
        live: dict[int, int] = {}
        for e in self._new.values():
            if len(e[2]) > 1:
                live[e[2][0]] = live.get(e[2][0], 0) + e[2][2]
        sizes = {}
        for n in live:
            try:
                sizes[n] = self._segment_path(n).stat().st_size
            except OSError:
                sizes[n] = 0
        total = sum(sizes.values())
        if not total or (sum(live.values()) >= _COMPACT_BELOW * total and len(live) <= _MAX_SEGMENTS):
            return
        # Copy every live record into one new segment; records that fail their digest
        # are dropped with their entry (the file is parsed again next run).
        old_new = self._new
        self._new = {}
        self._segment = None
        for path, (size, mtime_ns, rec) in old_new.items():
            if len(rec) == 1:
                self._new[path] = (size, mtime_ns, rec)
                continue
            blob = self._blob(rec)
            if blob is None:
                continue
            segment, offset = self._append(blob)
            self._new[path] = (size, mtime_ns, (segment, offset, *rec[2:]))
        self._close_files()


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
        """The digest of the scanned files (:func:`feedpub.uptodate.files_digest`) and anything else the selection reads."""
        h = hashlib.blake2b(files_digest, digest_size=20)
        h.update(repr((extra, _select_stamp())).encode())
        return h.digest()

    def load(self, key: bytes, now: datetime) -> tuple | None:  # type: ignore[type-arg]
        """``(state, entries, rejected, valid until)`` stored under ``key`` if still valid at ``now``, else None."""
        payload = _read(self.path)
        if not isinstance(payload, tuple):
            return None
        try:
            (stored_key, token, until), (state, entries, rejected) = payload[2], payload[3]
            if stored_key != key or token is None or tuple(token) != _index_token(self.folder):
                return None
            if until is not None and _micros(now) >= until:
                return None
            accepted, newest, held, spellings, feeds = state
            feeds = {
                k: (rules, total, [Stub(path, "", url, _when(us), "", q, flag, topics) for path, url, us, q, flag, topics in items])
                for k, (rules, total, items) in feeds.items()
            }
            state = (accepted, None if newest is None else _when(newest), held, spellings, feeds)
            return state, entries, [Rejection(p, r) for p, r in rejected], None if until is None else _when(until)
        except (TypeError, ValueError, OverflowError):
            return None

    def save(self, key: bytes, state: tuple, until: datetime | None, cache: ParseCache, rejected: Sequence[Rejection]) -> None:  # type: ignore[type-arg]
        """Store a selection state computed from every file (after ``cache.save()``)."""
        accepted, newest, held, spellings, feeds = state
        entries = {}
        plain = {}
        for k, (rules, total, items) in feeds.items():
            plain[k] = (
                rules,
                total,
                [(a.path, a.url, _micros(a.published_at), a.quality, a.published, a.topics) for a in items],
            )
            for a in items:
                entries[a.path] = cache._new[a.path]
        body = (
            (key, _index_token(self.folder), None if until is None else _micros(until)),
            (
                (accepted, None if newest is None else _micros(newest), held, spellings, plain),
                entries,
                [(r.path, r.reason) for r in rejected],
            ),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, _pack((FORMAT_VERSION, __version__, *body)), durable=False)

    def drop(self) -> None:
        """Forget the stored selection (it no longer matches)."""
        self.path.unlink(missing_ok=True)
