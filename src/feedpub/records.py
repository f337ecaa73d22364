"""Plain immutable records passed between the pipeline's steps.

files -> collect (Article, Rejection, TopicDef) -> select (Selection)
      -> render (OutputFile) -> publish (PublishResult).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Image:
    """An image of an article; sizes are None when the file does not give them."""

    url: str
    width: int | None = None
    height: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    """Who published the article (a site name and its domain)."""

    name: str
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Related:
    """Coverage of the same story elsewhere, listed under an article."""

    title: str
    url: str
    provider: Provider | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One accepted article file, cleaned: plain-text title/excerpt, http(s) URLs, UTC dates.

    ``secured`` and other fields not meant for publication are never kept here.
    """

    path: str
    title: str
    url: str
    published_at: datetime
    excerpt: str = ""
    quality: float = 0
    published: bool = True
    topics: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    provider: Provider | None = None
    related: tuple[Related, ...] = ()
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """An article file that could not be used, with the reason (and YAML line if known)."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class TopicDef:
    """A topic definition from a source's ``_data/topics/*.yaml``."""

    name: str
    slug: str
    parent: str | None = None
    description: str | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """A resolved topic: the display name, its feed slug and what defines it."""

    key: str
    name: str
    slug: str
    description: str | None = None
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """The articles one feed publishes, newest first, and how many the topic has."""

    topic: Topic
    items: tuple[Article, ...]
    total: int
    updated: datetime


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file to publish: a key relative to the target, its bytes and its type.

    ``group`` orders uploads: 0 for topic feeds, 1 for indexes that list them.
    """

    name: str
    data: bytes
    content_type: str
    group: int = 0


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What a target did with the files it was given."""

    uploaded: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default=())
