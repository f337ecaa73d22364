"""Plain immutable records passed between the pipeline's steps.

files -> collect (Article, Rejection, TopicDef; from the parse cache ArticleRef)
      -> select (Rules; Picked per feed, in a SelectResult; SelectionState to reuse)
      -> resolve (Picked -> Selection: every ArticleRef decoded into its Article)
      -> render (OutputFile) -> publish (PublishResult).

An ArticleRef is deliberately not an Article: it has no title or excerpt, and a
Selection refuses one, so render can only ever see full articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, TypeGuard

from feedpub.formats import EXTENSIONS, formats_of
from feedpub.times import from_micros


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
    """An article file that could not be used, with the reason (and YAML line if known).

    ``known``: an earlier run rejected the same file, unchanged since (the parse cache
    says so), so it has been reported already; cron is told only of new problems.
    """

    path: str
    reason: str
    known: bool = False


@dataclass(frozen=True, slots=True)
class TopicDef:
    """A topic definition from a source's ``_data/topics/*.yaml``."""

    name: str
    slug: str
    parent: str | None = None
    description: str | None = None
    path: str | None = None
    images: tuple[Image, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    """A resolved topic: the display name, its feed slug and what defines it."""

    key: str
    name: str
    slug: str
    description: str | None = None
    parent: str | None = None
    images: tuple[Image, ...] = ()
    """The definition's ``images``, checked as article images are; the first is the topic's image."""


class ArticleRef(NamedTuple):
    """An accepted article known from the parse cache: the fields selection reads and where
    its full record is stored (segment file, offset, length, BLAKE2 digest).

    Not an :class:`Article` (no title, excerpt or images), so neither mypy nor a
    :class:`Selection` lets one reach render; ``ParseCache.resolve`` is the one way from
    a reference to its Article. A tuple, so a rerun over 50,000 cached files builds one
    small object per file; selection keeps it as it is.
    """

    path: str
    url: str
    published_us: int
    quality: float
    published: bool
    topics: tuple[str, ...]
    segment: int
    offset: int
    length: int
    digest: bytes

    @property
    def published_at(self) -> datetime:
        """The publication time as an aware UTC datetime (as :attr:`Article.published_at`)."""
        return from_micros(self.published_us)


class EncodedArticle(NamedTuple):
    """An accepted article as plain values: its full record as marshal bytes with their
    BLAKE2 digest, and the fields selection reads.

    What parsing worker processes send back (cheap to pickle), and what the parse cache
    appends to its record files unchanged.
    """

    digest: bytes
    blob: bytes
    url: str
    published_us: int
    quality: float
    published: bool
    topics: tuple[str, ...]


def _all_articles(items: tuple[Article | ArticleRef, ...]) -> TypeGuard[tuple[Article, ...]]:
    return all(isinstance(a, Article) for a in items)


@dataclass(frozen=True, slots=True)
class Selection:
    """The articles one feed publishes, newest first, and how many the topic has: what render takes.

    Every item is a full :class:`Article`; making one with an :class:`ArticleRef` in it
    raises TypeError (an item with no title must never be written to a feed).
    """

    topic: Topic
    items: tuple[Article, ...]
    total: int
    updated: datetime

    def __post_init__(self) -> None:
        if not _all_articles(self.items):
            raise TypeError("a Selection takes full Articles: resolve ArticleRefs with ParseCache.resolve first")


@dataclass(frozen=True, slots=True)
class Rules:
    """Selection rules of one feed (config defaults, per-topic overrides, CLI flags)."""

    min_quality: float = 0
    max_items: int = 50
    max_age: timedelta | None = None
    include_unpublished: bool = False


HELD_REASONS = ("unpublished", "future", "too_old", "below_quality", "no_topics")
"""Why selection holds an accepted article back, in the order reports list them."""


@dataclass(frozen=True, slots=True)
class HeldBack:
    """The articles of one feed that its rules held back, by reason, with the rules that did.

    What the directory page says about an empty feed ("No articles in the last 7 days").
    """

    unpublished: int = 0
    future: int = 0
    too_old: int = 0
    below_quality: int = 0
    min_quality: float = 0
    max_age: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Picked:
    """What the select step chose for one feed, newest first; items from the parse cache are ArticleRefs.

    ``held`` counts the feed's articles its rules held back (why an empty feed is empty).
    Render takes a :class:`Selection`: ``ParseCache.resolve`` makes one (decoding only
    the feeds that are rendered), or :meth:`selection` when no cache was used.
    """

    topic: Topic
    items: tuple[Article | ArticleRef, ...]
    total: int
    updated: datetime
    held: HeldBack = field(default_factory=HeldBack)

    def selection(self) -> Selection:
        """This feed for render when every item is a full Article (a run without the parse cache).

        An ArticleRef left in it raises TypeError: only the parse cache can resolve one.
        """
        if not _all_articles(self.items):
            raise TypeError("this feed holds ArticleRefs: resolve it with ParseCache.resolve")
        return Selection(self.topic, self.items, self.total, self.updated)


@dataclass(frozen=True, slots=True)
class SelectResult:
    """Per-feed choices plus the counts the summary reports."""

    selections: tuple[Picked, ...]
    site: Picked | None
    accepted: int
    held_back: dict[str, int]
    newest: datetime | None


@dataclass(frozen=True, slots=True)
class ExtraFeed:
    """A feed document besides a topic's subscription feeds: an archive document or its top-stories feed.

    ``path`` is the file name without its extension (``archive/ai/3``, ``top/ai``);
    ``prev`` and ``next`` the paths of the older and newer archive documents (RFC 5005
    ``prev-archive`` and ``next-archive``), None at either end and for a top-stories feed.
    """

    kind: str
    """``"archive"`` or ``"top"``."""
    picked: Picked
    path: str
    prev: str | None = None
    next: str | None = None


@dataclass(frozen=True, slots=True)
class ExtraFiles:
    """The files of one feed besides its subscription feeds, by name (``archive/ai/1.atom``).

    What the topic pages link to: ``archive`` oldest first, ``top`` in the order of the formats.
    """

    archive: tuple[str, ...] = ()
    top: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Extras:
    """The archive documents and top-stories feeds of a build, and each feed's newest archive document."""

    feeds: tuple[ExtraFeed, ...] = ()
    newest_archive: dict[str, str] = field(default_factory=dict)
    """Topic slug -> the path of its newest archive document (the subscription feed's ``prev-archive``)."""

    def files_of(self, slug: str, formats: Sequence[str]) -> ExtraFiles:
        """The extra files of the feed ``slug`` in these formats (archive documents: RSS and Atom only)."""
        return self.files_by_feed(formats).get(slug, ExtraFiles())

    def files_by_feed(self, formats: Sequence[str]) -> dict[str, ExtraFiles]:
        """:meth:`files_of` of every feed that has extra files, by slug, in one pass."""
        archive: dict[str, list[str]] = {}
        top: dict[str, list[str]] = {}
        for feed in self.feeds:
            names = [feed.path + EXTENSIONS[f] for f in formats_of(feed.kind, formats)]
            (archive if feed.kind == "archive" else top).setdefault(feed.picked.topic.slug, []).extend(names)
        return {slug: ExtraFiles(tuple(archive.get(slug, ())), tuple(top.get(slug, ()))) for slug in archive.keys() | top.keys()}


@dataclass(frozen=True, slots=True)
class FeedState:
    """One feed inside a :class:`SelectionState`: its rules, its article count, its items so
    far, and how many of its articles were held back for each reason."""

    rules: Rules
    total: int
    items: tuple[Article | ArticleRef, ...]
    held_back: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SelectionState:
    """Everything ``Selector.finish`` reads, so that a run over the same files can restore
    it instead of offering every article again (the selection snapshot keeps it).

    ``valid_until``: the first moment the same files could be selected differently (an
    article falling due or aging out), or None.
    """

    accepted: int
    newest: datetime | None
    held_back: dict[str, int]
    spellings: dict[str, dict[str, int]]
    feeds: dict[str, FeedState]
    valid_until: datetime | None


@dataclass(frozen=True, slots=True)
class StoredSelection:
    """A selection snapshot as loaded: the state to restore and the article files it rejected."""

    state: SelectionState
    rejected: tuple[Rejection, ...]


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
