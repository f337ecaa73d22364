"""The collect step: find article files and topic definitions in the source folders.

Sources are walked (:mod:`feedpub.collect.scan`) without following links out of them; article files are parsed by
:mod:`feedpub.collect.article` (one file at a time, so results can be cached or computed in
worker processes) and come out as Article or Rejection records in the order the files
were given, one at a time; through a parse cache, accepted ones come out as ArticleRefs.

The parse cache (:class:`feedpub.cache.parsed.ParseCache`) sits above this step and
uses it; this module knows it only as the :class:`ResultCache` it is handed.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from feedpub.collect.encoded import decode, encode
from feedpub.collect.read import read_article
from feedpub.collect.scan import FileStat
from feedpub.records import Article, ArticleRef, EncodedArticle, Rejection

if TYPE_CHECKING:
    from concurrent.futures import Future

Encoded = EncodedArticle | Rejection
"""A parse result as a worker sends it back."""


class ResultCache(Protocol):
    """What :func:`collect_articles` needs of a cache of parse results, in the files' order."""

    def find(self, path: str, size: int, mtime_ns: int) -> ArticleRef | Rejection | None:
        """The stored result of a file unchanged since, else None."""

    def keep(self, found: ArticleRef | Rejection, size: int, mtime_ns: int) -> ArticleRef | Rejection:
        """Take over a found result; returns it (a Rejection marked ``known``: reported by an earlier run)."""

    def store(self, path: str, size: int, mtime_ns: int, encoded: Encoded) -> ArticleRef | Rejection:
        """Keep a fresh parse result; returns what selection gets."""


PARALLEL_ABOVE = 500
"""Parse in worker processes when more files than this need parsing (start-up costs ~0.1 s)."""


def _parse_encoded(path: str) -> Encoded:
    """Parse one file and return it as plain values (cheap to send between processes)."""
    return encode(read_article(Path(path)))


def _parse_chunk(paths: list[str]) -> list[Encoded]:
    """Worker-process job: :func:`_parse_encoded` for a few files (one message each way)."""
    return [_parse_encoded(p) for p in paths]


def _end_with_parent(parent: int) -> None:
    """Worker start-up: end when the build's process does, even by SIGKILL.

    Else a worker of a killed build waits for work forever. Linux's prctl does it
    (PR_SET_PDEATHSIG, option 1); elsewhere a worker lives until its queue breaks.
    """
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(0)  # the build ended before the line above took effect


_CHUNK = 100
"""Files per job sent to a worker process."""
_MEANWHILE = 10
"""Files this process parses between two looks at the worker processes' queue: the
workers are kept busy even when this process runs far slower than they do (a loaded
machine, a profiler)."""
LOOKAHEAD = 2 * PARALLEL_ABOVE
"""Files looked at ahead of the one handed out: how far ahead misses are counted, and
(with workers) about how many results can wait in memory."""


class _Job:
    """One chunk of files: parsed by a worker process (``future``) or, if none was given it, by this one."""

    __slots__ = ("future", "paths", "results")

    def __init__(self, paths: list[str], future: Future[list[Encoded]] | None) -> None:
        self.paths = paths
        self.future = future
        self.results: list[Encoded] | None = None

    def busy(self) -> bool:
        """Whether a worker process still has it."""
        return self.results is None and self.future is not None and not self.future.done()

    def finish(self, meanwhile: Callable[[], None] | None = None) -> list[Encoded]:
        """Its results: a worker's (waited for), else parsed here and now, calling ``meanwhile`` every few files."""
        if self.results is None:
            if self.future is not None:
                self.results = self.future.result()
            else:
                self.results = results = []  # taken: no longer there to give to a worker process
                for n, path in enumerate(self.paths, 1):
                    results.append(_parse_encoded(path))
                    if meanwhile is not None and n % _MEANWHILE == 0:
                        meanwhile()
        return self.results


class _Workers:
    """Parses files in ``workers`` processes, a few chunks ahead, results in submission order.

    This process is one of them: ``workers - 1`` are forked, and it parses the chunks
    they are not given instead of waiting for theirs. Each forked process counts in the
    memory of the run (a copy of this one at the fork), so one process fewer is a third
    less memory on two cores, at no cost in time: the work is the same, and this process
    had little else to do. The worker processes are kept a few chunks ahead (topped up
    whenever this process looks), so the share of each follows its speed, whatever the load.
    """

    def __init__(self, workers: int) -> None:
        from concurrent.futures import (
            ProcessPoolExecutor,  # multiprocessing: ~9 ms to import
        )

        forked = max(1, workers - 1)
        self._pool = ProcessPoolExecutor(max_workers=forked, initializer=_end_with_parent, initargs=(os.getpid(),))
        # The processes are forked at the first job: send one now, so that they are
        # copies of this process as it is at this point, not later and larger.
        self._pool.submit(int)
        self._queued = 2 * forked  # chunks given to the worker processes and not done: never idle, never far ahead
        self._limit = self._queued + 8
        self._waiting: list[str] = []
        self._jobs: deque[_Job] = deque()
        self._given: deque[_Job] = deque()  # given to the worker processes and maybe not done, oldest first
        self._done: deque[Encoded] = deque()

    def add(self, path: str) -> None:
        self._waiting.append(path)
        if len(self._waiting) >= _CHUNK:
            self._submit()

    def _submit(self) -> None:
        if self._waiting:
            self._jobs.append(_Job(self._waiting, None))
            self._waiting = []
            self._top_up()
        while len(self._jobs) > self._limit:  # bounded: never the whole archive in flight
            self._done.extend(self._jobs.popleft().finish(self._top_up))

    def _top_up(self) -> None:
        """Give the worker processes the first chunks no one has, up to ``_queued`` at a time."""
        given = self._given
        while given and not given[0].busy():
            given.popleft()  # done (the processes take chunks in the order given)
        if len(given) >= self._queued:
            return
        for job in self._jobs:
            if job.future is None and job.results is None:
                job.future = self._pool.submit(_parse_chunk, job.paths)
                given.append(job)
                if len(given) >= self._queued:
                    break

    def ready(self) -> bool:
        """Whether the next result is in without waiting or parsing."""
        while not self._done and self._jobs:
            self._top_up()
            first = self._jobs[0]
            if first.results is None and (first.future is None or not first.future.done()):
                return False
            self._done.extend(self._jobs.popleft().finish())
        return bool(self._done)

    def next(self) -> Encoded:
        """The next result in submission order (waits for it, parsing chunks no one has meanwhile)."""
        if not self._done:
            if not self._jobs:
                self._submit()
            first = self._jobs[0]
            while first.busy():
                self._top_up()
                mine = next((job for job in self._jobs if job.future is None and job.results is None), None)
                if mine is None:
                    break
                mine.finish(self._top_up)
            self._done.extend(self._jobs.popleft().finish(self._top_up))
        return self._done.popleft()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def collect_articles(
    files: Iterable[FileStat],
    cache: ResultCache | None = None,
    *,
    workers: int | None = None,
    parallel_above: int = PARALLEL_ABOVE,
    eager: bool = False,
) -> Iterator[Article | ArticleRef | Rejection]:
    """Parse results of ``files`` in their order, from the cache where still valid.

    A stream: files are taken one at a time and results handed out in the same order,
    with at most about :data:`LOOKAHEAD` files in between. When more than
    ``parallel_above`` of the files looked ahead at need parsing, the rest are parsed
    in ``workers`` processes (default: one per core); the results are the same either
    way. ``eager`` starts the workers at once, before the first file is taken (for a run
    known to parse many files: forked before the scan has listed anything, they do not
    carry a copy of its listings). With a cache, ``files`` should come in the scan's
    newest-first order (the cache's); accepted articles then come as
    :class:`~feedpub.records.ArticleRef` records, never decoded here.
    """
    workers = workers or os.cpu_count() or 1
    pool: _Workers | None = _Workers(workers) if eager and workers > 1 else None
    ahead: deque[tuple[FileStat, ArticleRef | Rejection | None]] = deque()
    misses = 0  # in ``ahead`` and not handed to the pool

    def result(item: FileStat, found: ArticleRef | Rejection | None, encoded: Encoded | None) -> Article | ArticleRef | Rejection:
        path, size, mtime_ns = item
        if found is not None:
            return cache.keep(found, size, mtime_ns)  # type: ignore[union-attr]
        if encoded is None:
            record = read_article(Path(path))
            if cache is None:
                return record
            encoded = encode(record)
        if cache is not None:
            return cache.store(path, size, mtime_ns, encoded)
        return Rejection(path, encoded.reason) if isinstance(encoded, Rejection) else decode(path, encoded.blob)

    try:
        for item in files:
            found = cache.find(*item) if cache is not None else None
            if found is None:
                if pool is not None:
                    pool.add(item[0])
                else:
                    misses += 1
                    if misses > parallel_above and workers > 1:
                        pool = _Workers(workers)
                        for queued, queued_found in ahead:
                            if queued_found is None:
                                pool.add(queued[0])
                        pool.add(item[0])
                        misses = 0
            ahead.append((item, found))
            # Hand out what is ready; past the look-ahead, wait for (or parse) the first.
            while ahead:
                first, first_found = ahead[0]
                if first_found is not None:
                    ahead.popleft()
                    yield result(first, first_found, None)
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
            first, first_found = ahead.popleft()
            if first_found is not None:
                yield result(first, first_found, None)
            else:
                yield result(first, None, pool.next() if pool is not None else None)
    finally:
        if pool is not None:
            pool.close()
