"""The collect step: find article files and topic definitions in the source folders.

Sources are walked without following links out of them; article files are parsed by
:mod:`feedpub.parse` (one file at a time, so results can be cached or computed in
worker processes) and come out as Article or Rejection records in path order.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from feedpub.clean import plain_text
from feedpub.errors import ArticleError
from feedpub.frontmatter import load_data_file
from feedpub.parse import parse_article
from feedpub.records import Article, Rejection, TopicDef
from feedpub.topics import slugify, valid_slug

DEFAULT_PATTERN = "*.md"
DEFAULT_EXCLUDE = ("README.md", "CHANGELOG.md", "LICENSE.md")
MAX_FILE_BYTES = 1_000_000
"""Largest article file read (bytes); the largest real one is 59 KB. Bigger files are rejected."""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False
    return True


def find_article_files(
    sources: Sequence[Path], pattern: str = DEFAULT_PATTERN, exclude: Sequence[str] = DEFAULT_EXCLUDE
) -> list[Path]:
    """Every file under the sources whose name matches ``pattern``, sorted, each once.

    Hidden folders and ``_data`` are skipped; a link that points out of its source is
    ignored, so a source cannot make feedpub read files elsewhere.
    """
    found: dict[Path, Path] = {}
    for source in sources:
        root = source.resolve()
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "_data")
            for name in sorted(filenames):  # sorted: which spelling of a linked file wins is stable
                if not fnmatch.fnmatch(name, pattern) or name in exclude:
                    continue
                path = Path(dirpath, name)
                if not _inside(path, root):
                    continue
                found.setdefault(path.resolve(), path)
    return sorted(found.values())


def read_article(path: Path) -> Article | Rejection:
    """Read and parse one article file; problems become a Rejection naming the file.

    Reads at most MAX_FILE_BYTES + 1 bytes from one open descriptor, so a file that
    grows while read is still bounded; a FIFO or device is refused, never waited on.
    """
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


def load_topic_defs(sources: Sequence[Path]) -> tuple[list[TopicDef], list[Rejection]]:
    """Topic definitions from each source's ``_data/topics/*.yaml`` (Jekyll style)."""
    defs: list[TopicDef] = []
    problems: list[Rejection] = []
    for source in sources:
        folder = source / "_data" / "topics"
        if not folder.is_dir():
            continue
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
