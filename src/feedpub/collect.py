"""The collect step: find article files and topic definitions in the source folders.

Sources are walked (:mod:`feedpub.scan`) without following links out of them; article files are parsed by
:mod:`feedpub.parse` (one file at a time, so results can be cached or computed in
worker processes) and come out as Article or Rejection records in the order the files
were given, one at a time.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from feedpub.cache import Fields, ParseCache, decode, encode
from feedpub.clean import plain_text
from feedpub.errors import ArticleError
from feedpub.records import Article, Rejection, TopicDef
from feedpub.scan import DEFAULT_EXCLUDE, DEFAULT_PATTERN, FileStat, scan_article_files
from feedpub.topics import slugify, valid_slug

MAX_FILE_BYTES = 1_000_000
"""Largest article file read (bytes); the largest real one is 59 KB. Bigger files are rejected."""
PARALLEL_ABOVE = 500
"""Parse in worker processes when more files than this need parsing (start-up costs ~0.1 s)."""


def find_article_files(
    sources: Sequence[Path], pattern: str = DEFAULT_PATTERN, exclude: Sequence[str] = DEFAULT_EXCLUDE
) -> list[Path]:
    """Every file under the sources whose name matches ``pattern``, sorted, each once."""
    return [Path(p) for p, _, _ in scan_article_files(sources, pattern, exclude)]


def read_article(path: Path) -> Article | Rejection:
    """Read and parse one article file; problems become a Rejection naming the file.

    Reads at most MAX_FILE_BYTES + 1 bytes from one open descriptor, so a file that
    grows while read is still bounded; a FIFO or device is refused, never waited on.
    """
    from feedpub.parse import parse_article  # YAML and dateutil load only when parsing

    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Rejection(name, "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return Rejection(name, f"file too large ({info.st_size} bytes; the limit is {MAX_FILE_BYTES})")
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return Rejection(name, f"cannot read: {exc.strerror or type(exc).__name__}")
    if len(data) > MAX_FILE_BYTES:
        return Rejection(name, f"file too large (more than {MAX_FILE_BYTES} bytes; it grew while read)")
    return parse_article(name, data)


def iter_articles(paths: Iterable[Path]) -> Iterator[Article | Rejection]:
    """Parse article files one after the other, in the given order."""
    for path in paths:
        yield read_article(path)


def _parse_encoded(path: str) -> tuple:  # type: ignore[type-arg]
    """Parse one file and return it as plain values (cheap to send between processes)."""
    return encode(read_article(Path(path)))


def _parse_chunk(paths: list[str]) -> list[tuple]:  # type: ignore[type-arg]
    """Worker-process job: :func:`_parse_encoded` for a few files (one message each way)."""
    return [_parse_encoded(p) for p in paths]


_CHUNK = 200
"""Files per job sent to a worker process."""
LOOKAHEAD = 2 * PARALLEL_ABOVE
"""Files looked at ahead of the one handed out: how far ahead misses are counted, and
(with workers) about how many results can wait in memory."""


class _Workers:
    """Parses files in worker processes, a few chunks ahead, results in submission order."""

    def __init__(self, workers: int) -> None:
        from concurrent.futures import ProcessPoolExecutor  # multiprocessing: ~9 ms to import

        self._pool = ProcessPoolExecutor(max_workers=workers)
        # The processes are forked at the first job: send one now, so that they are
        # copies of this process as it is at this point, not later and larger.
        self._pool.submit(int)
        self._limit = workers * 4
        self._waiting: list[str] = []
        self._jobs: deque = deque()  # type: ignore[type-arg]
        self._done: deque[tuple] = deque()  # type: ignore[type-arg]

    def add(self, path: str) -> None:
        self._waiting.append(path)
        if len(self._waiting) >= _CHUNK:
            self._submit()

    def _submit(self) -> None:
        if self._waiting:
            self._jobs.append(self._pool.submit(_parse_chunk, self._waiting))
            self._waiting = []
        while len(self._jobs) > self._limit:  # bounded: never the whole archive in flight
            self._done.extend(self._jobs.popleft().result())

    def ready(self) -> bool:
        """Whether the next result is in without waiting."""
        while not self._done and self._jobs and self._jobs[0].done():
            self._done.extend(self._jobs.popleft().result())
        return bool(self._done)

    def next(self) -> tuple:  # type: ignore[type-arg]
        """The next result in submission order (waits for it)."""
        if not self._done:
            if not self._jobs:
                self._submit()
            self._done.extend(self._jobs.popleft().result())
        return self._done.popleft()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def collect_articles(
    files: Iterable[FileStat],
    cache: ParseCache | None = None,
    *,
    workers: int | None = None,
    parallel_above: int = PARALLEL_ABOVE,
    fields: bool = False,
    eager: bool = False,
) -> Iterator[Article | Rejection | Fields]:
    """Parse results of ``files`` in their order, from the cache where still valid.

    A stream: files are taken one at a time and results handed out in the same order,
    with at most about :data:`LOOKAHEAD` files in between. When more than
    ``parallel_above`` of the files looked ahead at need parsing, the rest are parsed
    in ``workers`` processes (default: one per core); the results are the same either
    way. ``eager`` starts the workers at once, before the first file is taken (for a run
    known to parse many files: forked before the scan has listed anything, they do not
    carry a copy of its listings). With a cache, ``files`` should come in the scan's
    newest-first order (the cache's); accepted articles come as
    :class:`~feedpub.cache.Stub` records, or with ``fields`` as their
    :data:`~feedpub.cache.Fields` tuples.
    """
    workers = workers or os.cpu_count() or 1
    pool: _Workers | None = _Workers(workers) if eager and workers > 1 else None
    ahead: deque[tuple[FileStat, tuple | None]] = deque()  # type: ignore[type-arg]
    misses = 0  # in ``ahead`` and not handed to the pool

    def result(item: FileStat, rec: tuple | None, encoded: tuple | None) -> Article | Rejection | Fields:  # type: ignore[type-arg]
        path, size, mtime_ns = item
        if rec is not None:
            return cache.keep(path, size, mtime_ns, rec, fields=fields)  # type: ignore[union-attr]
        if encoded is None:
            record = read_article(Path(path))
            if cache is None:
                return record
            encoded = encode(record)
        if cache is not None:
            return cache.store(path, size, mtime_ns, encoded, fields=fields)
        return Rejection(path, encoded[0]) if len(encoded) == 1 else decode(path, encoded[1])

    try:
        for item in files:
            rec = cache.find(*item) if cache is not None else None
            if rec is None:
                if pool is not None:
                    pool.add(item[0])
                else:
                    misses += 1
                    if misses > parallel_above and workers > 1:
                        pool = _Workers(workers)
                        for queued, queued_rec in ahead:
                            if queued_rec is None:
                                pool.add(queued[0])
                        pool.add(item[0])
                        misses = 0
            ahead.append((item, rec))
            # Hand out what is ready; past the look-ahead, wait for (or parse) the first.
            while ahead:
                first, first_rec = ahead[0]
                if first_rec is not None:
                    ahead.popleft()
                    yield result(first, first_rec, None)
                elif pool is not None and (pool.ready() or len(ahead) > LOOKAHEAD):
                    ahead.popleft()
                    yield result(first, None, pool.next())
                elif pool is None and len(ahead) > LOOKAHEAD:
                    ahead.popleft()
                    misses -= 1
                    yield result(first, None, None)
                else:
                    break
        while ahead:
            first, first_rec = ahead.popleft()
            if first_rec is not None:
                yield result(first, first_rec, None)
            else:
                yield result(first, None, pool.next() if pool is not None else None)
    finally:
        if pool is not None:
            pool.close()


def load_topic_defs(sources: Sequence[Path]) -> tuple[list[TopicDef], list[Rejection]]:
    """Topic definitions from each source's ``_data/topics/*.yaml`` (Jekyll style)."""
    defs: list[TopicDef] = []
    problems: list[Rejection] = []
    for source in sources:
        folder = source / "_data" / "topics"
        if not folder.is_dir():
            continue
        from feedpub.frontmatter import load_data_file  # YAML loads only when needed

        for path in sorted(folder.glob("*.y*ml")):
            try:
                doc = load_data_file(path.read_bytes())
                defs.append(_topic_def(doc, path))
            except ArticleError as exc:
                problems.append(Rejection(str(path), str(exc)))
            except OSError as exc:
                problems.append(Rejection(str(path), f"cannot read: {exc.strerror or exc}"))
    return defs, problems


def _topic_def(doc: object, path: Path) -> TopicDef:
    if not isinstance(doc, dict):
        raise ArticleError("a topic definition must be a mapping with a 'name'")
    name = doc.get("name")
    if not isinstance(name, str) or not plain_text(name):
        raise ArticleError("topic definition without a 'name'")
    name = plain_text(name)
    slug = doc.get("_id")
    if not valid_slug(slug):
        slug = slugify(name)
    description = doc.get("description")
    parent = doc.get("parent")
    return TopicDef(
        name=name,
        slug=str(slug),
        parent=plain_text(parent) if isinstance(parent, str) else None,
        description=plain_text(description) or None if isinstance(description, str) else None,
        path=str(path),
    )
