"""The collect step: find article files and topic definitions in the source folders.

Sources are walked (:mod:`feedpub.scan`) without following links out of them; article files are parsed by
:mod:`feedpub.parse` (one file at a time, so results can be cached or computed in
worker processes) and come out as Article or Rejection records in path order.
"""

from __future__ import annotations

import os
import stat
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
    """Worker-process job: parse one file and return it as plain values (cheap to send)."""
    return encode(read_article(Path(path)))


def _parse_many(paths: list[str], workers: int) -> Iterator[tuple]:  # type: ignore[type-arg]
    """Encoded parse results of ``paths`` in order, from a pool of worker processes."""
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: ~9 ms to import

    chunk = max(1, min(200, len(paths) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # map() hands results back in input order as they complete.
        yield from pool.map(_parse_encoded, paths, chunksize=chunk)


def collect_articles(
    files: Sequence[FileStat],
    cache: ParseCache | None = None,
    *,
    workers: int | None = None,
    parallel_above: int = PARALLEL_ABOVE,
    fields: bool = False,
) -> Iterator[Article | Rejection | Fields]:
    """Parse results of ``files`` in their order, from the cache where still valid.

    Files that need parsing are parsed in ``workers`` processes (default: one per core)
    when there are more than ``parallel_above`` of them, else in this process; the
    results are the same either way. Yields one record at a time: nothing here holds
    all articles (with a cache, accepted ones come as :class:`~feedpub.cache.Stub`
    records, or with ``fields`` as their :data:`~feedpub.cache.Fields` tuples).
    """
    if cache is None:
        misses = [f[0] for f in files]
    else:
        misses = [f[0] for f in files if not cache.fresh(*f)]
    workers = workers or os.cpu_count() or 1
    parallel = len(misses) > parallel_above and workers > 1
    parsed = _parse_many(misses, workers) if parallel else None
    to_parse = set(misses) if parallel else ()
    lookup = None if cache is None else cache.lookup_fields if fields else cache.lookup
    for path, size, mtime_ns in files:
        if lookup is not None and path not in to_parse:
            hit = lookup(path, size, mtime_ns)
            if hit is not None:
                yield hit
                continue
        if parsed is not None and path in to_parse:
            encoded = next(parsed)
            if cache is not None:
                yield cache.store(path, size, mtime_ns, encoded, fields=fields)
            else:
                yield Rejection(path, encoded[0]) if len(encoded) == 1 else decode(path, encoded[1])
        else:
            record = read_article(Path(path))
            if cache is not None:
                stored = cache.store(path, size, mtime_ns, encode(record), fields=fields)
                if fields:
                    record = stored  # type: ignore[assignment]
            yield record
    if parsed is not None:
        parsed.close()


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
