"""The collect step: find article files and topic definitions in the source folders.

Sources are walked (:mod:`feedpub.collect.scan`) without following links out of them; article files are parsed by
:mod:`feedpub.collect.article` (one file at a time, so results can be cached or computed in
worker processes) and come out as Article or Rejection records in the order the files
were given, one at a time.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from feedpub.cache.codec import Fields, decode, encode
from feedpub.cache.parsed import ParseCache
from feedpub.collect.scan import (
    FileStat,
)
from feedpub.collect.read import read_article
from feedpub.records import Article, Rejection

PARALLEL_ABOVE = 500
"""Parse in worker processes when more files than this need parsing (start-up costs ~0.1 s)."""


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
        from concurrent.futures import (
            ProcessPoolExecutor,  # multiprocessing: ~9 ms to import
        )

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
