"""Topic definitions: each source's ``_data/topics/*.yaml`` (Jekyll style)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from feedpub.collect.article import parse_images
from feedpub.errors import ArticleError
from feedpub.records import Rejection, TopicDef
from feedpub.text import plain_text
from feedpub.topics import slugify, valid_slug


def load_topic_defs(sources: Sequence[Path]) -> tuple[list[TopicDef], list[Rejection]]:
    """Topic definitions from each source's ``_data/topics/*.yaml`` (Jekyll style)."""
    defs: list[TopicDef] = []
    problems: list[Rejection] = []
    for source in sources:
        folder = source / "_data" / "topics"
        if not folder.is_dir():
            continue
        from feedpub.collect.frontmatter import (
            load_data_file,  # YAML loads only when needed
        )

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
        # Real definitions list bare URLs (the first is the topic's picture); mappings
        # as in article files are taken too. A javascript: or relative URL is dropped.
        images=parse_images(doc.get("images"), bare_urls=True),
    )
