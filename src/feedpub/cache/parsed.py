"""The parse cache: parse results of article files, keyed by (path, size, mtime_ns), read as a stream."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from feedpub.cache.compact import rewrite
from feedpub.cache.index import (
    Entry,
    _descends,
    _IndexReader,
    _IndexWriter,
    result,
    stored,
)
from feedpub.cache.segments import RecordFiles
from feedpub.collect.encoded import decode, encode
from feedpub.files import reason
from feedpub.records import (
    Article,
    ArticleRef,
    EncodedArticle,
    Picked,
    Rejection,
    Selection,
)

_RACY_NS = 100_000_000  # mtime ticks are a few ms on Linux


class ParseCache:
    """Parse results of article files, keyed by (path, size, mtime_ns), read as a stream.

    The index lists the files in the scan's newest-first order, so a run walks it side
    by side with the scan (a merge, as of two sorted lists): memory holds one block of
    entries, never an entry per file. Use: :meth:`find` each file in that order, then
    :meth:`keep` what was found or :meth:`store` what had to be parsed, in the same
    order; :meth:`save` (entries of files not found this run are dropped); then
    :meth:`resolve` the feeds to render. A lookup out of order is only a miss. ``hits``,
    ``parsed`` and ``dropped`` count what happened.

    Accepted articles come out as :class:`~feedpub.records.ArticleRef`: the fields
    selection reads and where the full record is. :meth:`resolve` (through :meth:`full`)
    is the only way from one to its :class:`~feedpub.records.Article`.
    """

    def __init__(self, folder: Path, warn: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self._warn = warn
        self.problem: str | None = None
        """What kept the cache from being written this run (warned once), or None."""
        self._broken = False
        self.hits = 0
        self.parsed = 0
        self.dropped = 0
        self._reader: _IndexReader | None = None
        self._entries: Iterator[Entry] | None = None
        self._current: Entry | None = None
        self._writer: _IndexWriter | None = None
        self._kept = 0  # entries taken over unchanged before the first change
        self._records = RecordFiles(self.folder)
        self._full: dict[str, Article] = {}
        self._digests: dict[str, bytes] = {}
        self._bad: dict[str, Entry | None] = {}
        # Files whose stored record was damaged: the entry to put in its place, or None
        # to drop it (parsed again next run).
        self._topics: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._trusted = False
        self._saved = False
        self.racy = False
        """Whether an entry was stored that the next run must not trust (see :meth:`store`)."""
        self.unsettled = False
        """Whether a stored record turned out damaged or its file changed during the run."""
        self._racy_reasons: dict[str, str] = {}
        # Files rejected by the last run whose entries were not trusted (written moments
        # before it): parsed again, the same reason is not news (see store).

    @property
    def _index(self) -> Path:
        return self.folder / "index.bin"

    def _open(self) -> None:
        """Start reading the index on first use: a run that reuses its selection never does."""
        if self._reader is not None:
            return
        self._reader = _IndexReader(self._index)
        self._records.next_segment = self._reader.next_segment
        self._entries = iter(self._reader)
        self._current = next(self._entries, None)
        if not self._reader.valid:
            self._changed()  # a missing or unusable index is rewritten

    def _rest(self) -> Iterator[Entry]:
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

    def report(self, what: str, exc: OSError) -> None:
        """Warn (once a run, whichever cache file failed first) that the cache could not be written."""
        if self.problem is None:
            self.problem = f"{self.folder}: cannot write the cache ({what}: {reason(exc)}); this run goes on without saving it"
            if self._warn is not None:
                self._warn(self.problem)

    def _fail(self, what: str, exc: OSError) -> None:
        """Writing failed (a full disk, say): keep nothing more this run; the stored index stands."""
        self.report(what, exc)
        self._broken = self.unsettled = True  # unsettled: no selection snapshot claims this run's index
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def _changed(self) -> None:
        """This run's index differs from the stored one: start writing it."""
        if self._writer is not None or self._broken:
            return
        self._open()
        try:
            self._writer = _IndexWriter(self.folder, max(self._records.next_segment, self._records.free()))
            if self._kept:
                # The entries passed so far were all taken over as they are: copy them.
                replay = _IndexReader(self._index)
                for n, entry in enumerate(replay, 1):
                    self._writer.add(entry)
                    if n == self._kept:
                        break
                replay.close()
        except OSError as exc:
            self._fail("index", exc)

    def find(self, path: str, size: int, mtime_ns: int) -> ArticleRef | Rejection | None:
        """The stored result of a file whose size and mtime are unchanged, else None.

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
                found = result(path, current[3]) if current[1] == size and current[2] == mtime_ns else None
                if found is None:
                    self._changed()
                    if current[2] == -1 and len(current[3]) == 1:
                        self._racy_reasons[path] = current[3][0]
                return found
            if not _descends(here, path):
                break  # a new file: the index goes on after it
            self._changed()
            self.dropped += 1
            current = next(entries, None)  # type: ignore[arg-type]
        self._current = current
        self._changed()
        return None

    def keep(self, found: ArticleRef | Rejection, size: int, mtime_ns: int) -> ArticleRef | Rejection:
        """Take over what :meth:`find` returned (and return it, for selection).

        A rejection comes back marked ``known``: the file was rejected by an earlier run
        and has not changed since, so it was reported then.
        """
        self.hits += 1
        if self._writer is None:
            self._kept += 1
        else:
            try:
                self._writer.add((found.path, size, mtime_ns, stored(found)))
            except OSError as exc:
                self._fail("index", exc)
        if isinstance(found, Rejection):
            return Rejection(found.path, found.reason, known=True)
        return found

    def store(self, path: str, size: int, mtime_ns: int, encoded: EncodedArticle | Rejection) -> ArticleRef | Rejection:
        """Keep a fresh parse result (from :func:`~feedpub.collect.encoded.encode`); returns what selection gets."""
        self._changed()
        self.parsed += 1
        if isinstance(encoded, Rejection) and self._broken:
            return encoded
        if not self._broken:
            try:
                entry = self._entry(path, size, mtime_ns, encoded)
                assert self._writer is not None
                self._writer.add(entry)
                found = result(path, entry[3])
                assert found is not None
                if isinstance(found, Rejection) and self._racy_reasons.pop(path, None) == found.reason:
                    # Rejected for the same reason by the last run, which could not mark its
                    # entry as settled: reported then, so not again.
                    return Rejection(path, found.reason, known=True)
                return found
            except OSError as exc:
                self._fail("records", exc)
        # Nowhere to keep the record: a reference to none, so that an article in a feed is
        # parsed again when rendered (memory holds no article per file, even now).
        assert isinstance(encoded, EncodedArticle)
        e = encoded
        return ArticleRef(path, e.url, e.published_us, e.quality, e.published, e.topics, 0, 0, 0, e.digest)

    def _entry(self, path: str, size: int, mtime_ns: int, encoded: EncodedArticle | Rejection) -> Entry:
        """The index entry of a fresh parse result, its full record appended to a record file."""
        # File systems with whole-second times (FAT: two) leave a far wider window.
        window = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else _RACY_NS
        if time.time_ns() - mtime_ns < window:
            # Written moments ago: another write in the same clock tick could keep size
            # and mtime, so this entry must not be trusted by the next run.
            mtime_ns = -1
            self.racy = True
        if isinstance(encoded, Rejection):
            return (path, size, mtime_ns, (encoded.reason,))
        topics = encoded.topics
        # One tuple (and one string per name) for every article with these topics.
        shared = self._topics.get(topics)
        if shared is None:
            if len(self._topics) >= 4096:
                self._topics.clear()  # bounded: a large archive can have many combinations
            shared = self._topics[topics] = tuple(map(sys.intern, topics))
        blob = encoded.blob
        segment, offset = self._records.append(blob)
        e = encoded
        return (
            path,
            size,
            mtime_ns,
            (e.url, e.published_us, e.quality, e.published, shared, segment, offset, len(blob), e.digest),
        )

    def _blob(self, ref: ArticleRef) -> bytes | None:
        return self._records.read(ref.segment, ref.offset, ref.length, ref.digest)

    def full(self, ref: ArticleRef) -> Article:
        """The complete record of an article known by its reference (decoded once a run)."""
        done = self._full.get(ref.path)
        if done is not None:
            return done
        blob = self._blob(ref)
        if blob is not None:
            try:
                done = decode(ref.path, blob)
            except (ValueError, EOFError, TypeError):
                pass
        if done is None:
            done = self._reparse(ref)
        else:
            self._digests[ref.path] = ref.digest
        self._full[ref.path] = done
        return done

    def verify(self, items: Iterable[Article | ArticleRef]) -> None:
        """Check the stored records of these references (read and digest, no decoding).

        Run before :meth:`save` on the articles in feeds: a damaged or missing record is
        parsed again now (and its entry dropped, so the next run parses the file too),
        while the full records are decoded later, only for the feeds to be rendered.
        """
        for item in items:
            if isinstance(item, ArticleRef) and item.path not in self._full and self._blob(item) is None:
                self._full[item.path] = self._reparse(item)

    def _reparse(self, ref: ArticleRef) -> Article:
        # The stored record is damaged or gone: parse the file again, and unless this
        # is after save(), put the fresh record in the index in place of the damaged one.
        from feedpub.collect.read import read_article  # YAML is loaded only if needed

        self.unsettled = True
        self._bad[ref.path] = None
        try:
            before = os.stat(ref.path)
        except OSError:
            before = None
        fresh = read_article(Path(ref.path))
        if isinstance(fresh, Rejection):
            # The file changed during this run: keep the item selection saw, titled by
            # its URL; the next run parses the file again.
            r = ref
            return Article(r.path, r.url, r.url, r.published_at, "", r.quality, r.published, r.topics)
        if before is not None and not self._saved and not self._broken:
            try:
                self._bad[ref.path] = self._entry(ref.path, before.st_size, before.st_mtime_ns, encode(fresh))
            except OSError as exc:
                self._fail("records", exc)
        return fresh

    def digest(self, item: Article | ArticleRef) -> bytes:
        """What identifies an article's full content, for render skipping."""
        path = item.path
        if path not in self._bad:
            if isinstance(item, ArticleRef):
                return item.digest
            known = self._digests.get(path)
            if known is not None:
                return known
        article = self.full(item) if isinstance(item, ArticleRef) else item
        return hashlib.blake2b(repr(article).encode(), digest_size=16).digest()

    def resolve(self, picked: Picked) -> Selection:
        """The feed as render takes it: every ArticleRef replaced by its full Article."""
        items = tuple(a if isinstance(a, Article) else self.full(a) for a in picked.items)
        return Selection(picked.topic, items, picked.total, picked.updated)

    def close(self) -> None:
        """Close the record files opened after :meth:`save` (to decode feeds' articles)."""
        try:
            self._records.close()
        except OSError as exc:
            self._fail("records", exc)

    def discard(self) -> None:
        """End a run that stops before :meth:`save`: the stored index stays as it was, and
        this run's unfinished one is removed (its files are looked up again next run)."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        if self._reader is not None:
            self._reader.close()
        self._records.close()

    def save(self) -> None:
        """Write the index of this run's files (atomically) and delete unused record files."""
        if self._saved:
            return
        self._saved = True
        try:
            self._save()
        except OSError as exc:
            self._fail("index", exc)
        if self._broken:
            try:
                self._records.close()
            except OSError:
                pass  # already reported; the stored index does not refer to these records

    def _save(self) -> None:
        self._records.flush()
        if self._trusted:
            if not self._bad:
                self._records.close()
                return  # nothing was looked up or stored: the index stands as it is
            self._trusted = False
            self._changed()
            for entry in self._rest():
                kept = self._bad.get(entry[0], entry)
                if kept is not None and self._writer is not None:
                    self._writer.add(kept)
            self._bad.clear()
        self._open()
        for _ in self._rest():
            self._changed()  # files not seen this run: gone
            self.dropped += 1
        writer = self._writer
        if writer is None:
            self._records.close()
            return  # every entry taken over as it was (or nothing can be written): the index stands
        try:
            if self._bad or self._records.compact_due(writer.live):
                writer = self._writer = rewrite(writer, self.folder, self._records, self._bad)
            self._records.close()  # every record on disk before the index that refers to them
            writer.commit(self._index)
        except BaseException:
            writer.abort()
            self._records.close()
            raise
        self._records.delete_unused(writer.live)
