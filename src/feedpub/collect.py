"""The collect step: find article files and topic definitions in the source folders.

Sources are walked without following links out of them; article files are parsed by
:mod:`feedpub.parse` (one file at a time, so results can be cached or computed in
worker processes) and come out as Article or Rejection records in path order.
"""

from __future__ import annotations

import fnmatch
import os
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


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
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
            for name in filenames:
                if not fnmatch.fnmatch(name, pattern) or name in exclude:
                    continue
                path = Path(dirpath, name)
                if path.is_symlink() and not _inside(path, root):
                    continue
                found.setdefault(path.resolve(), path)
    return sorted(found.values())


def read_article(path: Path) -> Article | Rejection:
    """Read and parse one article file; problems become a Rejection naming the file."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Rejection(name, f"file too large ({size} bytes; the limit is {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except OSError as exc:
        return Rejection(name, f"cannot read: {exc.strerror or exc}")
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
