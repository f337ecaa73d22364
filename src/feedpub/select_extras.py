"""The select step's extra feeds: archive documents (RFC 5005 §4) and top-stories feeds.

Both take their articles from the same stream as the subscription feeds, through the
:data:`~feedpub.select.Track` hook: every article a feed's rules let in (quality,
``published``, not in the future), whatever its age or the feed's ``max_items``.

- **Archives** keep every such article of a feed (each URL once, its newest file), so
  memory grows with the archive while, and only while, ``archive.enabled`` is set. The
  documents hold ``page_size`` articles each, counted from the oldest: document 1 holds
  the oldest ``page_size`` articles, and a full document never changes as long as no
  article older than its newest one is added or removed (or edited). Only the newest
  document (never full: an empty one follows a full one) changes when a new article
  comes, and the first while it is not full (a chain has two documents at least).
- **Top stories** keep a feed's ``items`` best articles of the last ``days`` (quality,
  then the newer, then the URL and path), bounded like a subscription feed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import datetime

from feedpub.config import ArchiveSettings, DigestSettings
from feedpub.records import Article, ArticleRef, ExtraFeed, Extras, Picked, SelectResult
from feedpub.select import SITE_KEY
from feedpub.times import micros

Item = Article | ArticleRef
_Order = tuple[int, str, str]
_Rank = tuple[float, int, str, str]
_DAY_US = 86_400 * 1_000_000

ARCHIVE_FOLDER = "archive"
"""Archive documents are ``archive/<slug>/<n>`` (n from 1, the oldest), one file per format."""
TOP_FOLDER = "top"
"""Top-stories feeds are ``top/<slug>``, one file per format."""


class _Top:
    """The best ``size`` items of one feed so far, each URL once (best first)."""

    __slots__ = ("items", "ranks", "size", "urls")

    def __init__(self, size: int) -> None:
        self.size = size
        self.ranks: list[_Rank] = []
        self.items: list[Item] = []
        self.urls: dict[str, _Rank] = {}

    def offer(self, rank: _Rank, item: Item) -> None:
        old = self.urls.get(item.url)
        if old is not None:
            if old <= rank:
                return
            i = bisect.bisect_left(self.ranks, old)
            del self.ranks[i], self.items[i]
        elif len(self.ranks) >= self.size and rank >= self.ranks[-1]:
            return
        i = bisect.bisect_left(self.ranks, rank)
        self.ranks.insert(i, rank)
        self.items.insert(i, item)
        self.urls[item.url] = rank
        while len(self.ranks) > self.size:
            self.ranks.pop()
            del self.urls[self.items.pop().url]


class ExtraSelector:
    """Collects the articles of archives and top-stories feeds: pass :meth:`track` to the Selector."""

    def __init__(self, *, archive: ArchiveSettings, digest_for: Callable[[str], DigestSettings | None], now: datetime) -> None:
        self._page = archive.page_size if archive.enabled else 0
        self._digest_for = digest_for
        self._now = micros(now)
        self._all: dict[str, dict[str, tuple[_Order, Item]]] = {}
        self._tops: dict[str, _Top | None] = {}
        self._spans: dict[str, int] = {}
        self._until: int | None = None

    def track(self, key: str, item: Item, when: int, quality: float) -> None:
        """Take one article a feed's rules let in (see :data:`~feedpub.select.Track`)."""
        if self._page:
            urls = self._all.get(key)
            if urls is None:
                urls = self._all[key] = {}
            order = (-when, item.url, item.path)
            old = urls.get(item.url)
            if old is None or order < old[0]:
                urls[item.url] = (order, item)  # each URL once: its newest file, as in the feed
        if key not in self._tops:
            digest = self._digest_for(key)
            self._tops[key] = _Top(digest.items) if digest else None
            if digest:
                self._spans[key] = int(digest.days * _DAY_US)
        top = self._tops[key]
        if top is None:
            return
        span = self._spans[key]
        if when < self._now - span:
            return  # outside the window
        leaves = when + span
        if self._until is None or leaves < self._until:
            self._until = leaves  # the window moves past it then: the feed may change
        top.offer((-quality, -when, item.url, item.path), item)

    @property
    def valid_until_us(self) -> int | None:
        """The first moment (µs) an article leaves a top-stories window, or None."""
        return self._until

    def finish(self, result: SelectResult) -> Extras:
        """The archive documents and top-stories feeds of every feed in ``result`` (site feed last)."""
        feeds: list[ExtraFeed] = []
        newest: dict[str, str] = {}
        picks = [(p.topic.key, p) for p in result.selections]
        if result.site is not None:
            picks.append((SITE_KEY, result.site))
        for key, pick in picks:
            slug = pick.topic.slug
            if self._page:
                pages = _pages(pick, self._all.get(key, {}), self._page)
                feeds.extend(pages)
                if pages:
                    newest[slug] = pages[-1].path
            digest = self._digest_for(key)
            if digest is not None:
                top = self._tops.get(key)
                items = tuple(top.items) if top else ()
                updated = max((a.published_at for a in items), default=pick.updated)
                total = len(items)
                feeds.append(ExtraFeed("top", Picked(pick.topic, items, total, updated), f"{TOP_FOLDER}/{slug}"))
        return Extras(tuple(feeds), newest)


def _pages(pick: Picked, found: dict[str, tuple[_Order, Item]], size: int) -> list[ExtraFeed]:
    """A feed's archive documents, oldest first; each holds its articles newest first.

    The newest document is never full: when the articles fill the last one exactly, an
    empty one follows. So a full document links to the next one from the moment it is
    full, and never changes afterwards. There are always two documents at least: a lone
    archive document would have no ``prev-archive`` or ``next-archive`` link, which the
    W3C validator reports ("Archive incomplete"); so while every article fits in the
    first, an empty second one follows it.
    """
    if not found:
        return []
    oldest_first = [item for _, item in sorted(found.values(), reverse=True)]
    count = max(2, len(oldest_first) // size + 1)
    base = f"{ARCHIVE_FOLDER}/{pick.topic.slug}/"
    newest = oldest_first[-1].published_at
    out = []
    for n in range(1, count + 1):
        items = tuple(reversed(oldest_first[(n - 1) * size : n * size]))
        picked = Picked(pick.topic, items, len(oldest_first), items[0].published_at if items else newest)
        prev = f"{base}{n - 1}" if n > 1 else None
        nxt = f"{base}{n + 1}" if n < count else None
        out.append(ExtraFeed("archive", picked, f"{base}{n}", prev, nxt))
    return out


__all__ = ["ARCHIVE_FOLDER", "TOP_FOLDER", "ExtraSelector"]
