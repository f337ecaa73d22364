"""The collect step: find article files and topic definitions in the source folders.

Sources are walked without following links out of them; article files are parsed by
:mod:`feedpub.parse` (one file at a time, so results can be cached or computed in
worker processes) and come out as Article or Rejection records in path order.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path

from feedpub.cache import Fields, ParseCache, decode, encode
from feedpub.clean import plain_text
from feedpub.errors import ArticleError
from feedpub.records import Article, Rejection, TopicDef
from feedpub.topics import slugify, valid_slug

DEFAULT_PATTERN = "*.md"
DEFAULT_EXCLUDE = ("README.md", "CHANGELOG.md", "LICENSE.md")
MAX_FILE_BYTES = 1_000_000
"""Largest article file read (bytes); the largest real one is 59 KB. Bigger files are rejected."""
PARALLEL_ABOVE = 500
"""Parse in worker processes when more files than this need parsing (start-up costs ~0.1 s)."""

_NAME = attrgetter("name")

FileStat = tuple[str, int, int]
"""An article file as (path, size, mtime_ns): the parse cache's key."""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False
    return True


def _path_order(item: FileStat) -> list[str]:
    # The order of pathlib paths (part by part), without building 50,000 Path objects.
    return item[0].split(os.sep)


def _listing(folder: str) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            # Sorted: when two names reach one file, the first name wins, every run.
            return iter(sorted(it, key=_NAME))
    except OSError:
        return iter(())


def _name_matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a file name matches the glob ``pattern`` (as fnmatch, case as the OS has it)."""
    suffix = pattern[1:]
    if pattern.startswith("*") and not any(ch in suffix for ch in "*?[") and os.path.normcase("A") == "A":
        return lambda name: name.endswith(suffix)  # "*.md": no regular expression per file
    match = re.compile(fnmatch.translate(os.path.normcase(pattern))).match
    return lambda name: match(os.path.normcase(name)) is not None


def scan_article_files(
    sources: Sequence[Path], pattern: str = DEFAULT_PATTERN, exclude: Sequence[str] = DEFAULT_EXCLUDE
) -> list[FileStat]:
    """Every article file under the sources with its size and mtime, in path order, each once.

    Hidden folders and ``_data`` are skipped and linked folders are not entered; a
    linked file that points out of its source is ignored, so a source cannot make
    feedpub read files elsewhere. One ``scandir`` per folder and one ``stat`` per file.
    Each folder is listed in name order and entered where its name falls: that is the
    order of pathlib paths (part by part), so one source's files need no sorting.
    """
    matches = _name_matcher(pattern)
    skip = set(exclude)
    found: list[FileStat] = []
    seen: set[str] = set()
    for source in sources:
        root = source.resolve()
        real = str(root)
        # Depth first with an explicit stack (no recursion limit for deep trees): each
        # frame is a folder's remaining entries and its real path + separator.
        stack = [(_listing(str(source)), real if real.endswith(os.sep) else real + os.sep)]
        while stack:
            entries, prefix = stack[-1]
            for entry in entries:
                name = entry.name
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if not entry.is_symlink() and not name.startswith(".") and name != "_data":
                        stack.append((_listing(entry.path), prefix + name + os.sep))
                        break  # this folder's entries first; the rest of ours after
                    continue
                if not matches(name) or name in skip:
                    continue
                if entry.is_symlink():
                    if not _inside(Path(entry.path), root):
                        continue
                    resolved = os.path.realpath(entry.path)
                else:
                    resolved = prefix + name
                if resolved in seen:
                    continue
                seen.add(resolved)
                try:
                    st = entry.stat()
                    found.append((entry.path, st.st_size, st.st_mtime_ns))
                except OSError:
                    found.append((entry.path, -1, -1))  # reading it will say why
            else:
                stack.pop()
    if len(sources) > 1:
        found.sort(key=_path_order)
    return found


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
