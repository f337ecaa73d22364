"""The select step: which articles each topic's feed publishes.

Streaming: articles are offered one at a time and each topic keeps only its best
``max_items`` (newest first), so memory follows topics x max items, not the archive.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from feedpub.records import (
    HELD_REASONS,
    Article,
    ArticleRef,
    FeedState,
    HeldBack,
    Picked,
    Rules,  # also imported from here by config
    SelectionState,
    SelectResult,
    Topic,
)
from feedpub.times import MICROSECOND, from_micros, micros
from feedpub.topics import TopicIndex, topic_key

__all__ = ["HELD_REASONS", "SITE_KEY", "UNDATED", "Rules", "SelectResult", "Selector"]

SITE_KEY = "\x00site"
"""The key of the optional site-wide feed of all topics (no topic name can equal it)."""

UNDATED = datetime(2000, 1, 1, tzinfo=UTC)
"""The date of empty feeds and of the listings when no article is due yet (every one is
dated in the future): fixed and documented, so the bytes never follow the clock."""


OrderKey = tuple[int, str, str]
Item = Article | ArticleRef
"""A feed item: a full Article, or a reference to one in the parse cache."""
Track = Callable[[str, Item, int, float], None]
"""Told ``(feed key, item, time in µs, quality)`` of each article that a feed's rules let
in whatever its age and count (``max_age_days``, ``max_items``): archives and top
stories (:mod:`feedpub.select_extras`) take their articles from it."""


def _order(item: Item) -> OrderKey:
    # Newest first; equal times are ordered by URL then path, whatever the file order.
    when = item.published_us if isinstance(item, ArticleRef) else micros(item.published_at)
    return (-when, item.url, item.path)


class _Feed:
    """The best items of one feed so far, sorted, each URL once."""

    __slots__ = (
        "held", "items", "keys", "max_age_us", "max_items", "min_quality", "rules", "total", "unpublished_ok", "urls",
    )  # fmt: skip

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.keys: list[OrderKey] = []
        self.items: list[Item] = []
        self.urls: dict[str, OrderKey] = {}
        self.total = 0
        self.held: Counter[str] = Counter()  # articles of this feed held back, by reason
        # The rules as plain values, read once per article and feed.
        self.max_items = rules.max_items
        self.min_quality = rules.min_quality
        self.unpublished_ok = rules.include_unpublished
        self.max_age_us = None if rules.max_age is None else rules.max_age // MICROSECOND

    def full_and_better(self, key: OrderKey) -> bool:
        """Whether the feed is full of items that all come before ``key`` (it cannot enter)."""
        return len(self.keys) >= self.max_items and (not self.keys or key >= self.keys[-1])

    def offer(self, article: Item, key: OrderKey | None = None) -> None:
        if key is None:
            key = _order(article)
        old = self.urls.get(article.url)
        if old is not None:
            if old <= key:
                return
            i = bisect.bisect_left(self.keys, old)
            del self.keys[i], self.items[i]
        elif len(self.keys) >= self.rules.max_items and (not self.keys or key >= self.keys[-1]):
            return
        i = bisect.bisect_left(self.keys, key)
        self.keys.insert(i, key)
        self.items.insert(i, article)
        self.urls[article.url] = key
        while len(self.keys) > self.rules.max_items:
            self.keys.pop()
            dropped = self.items.pop()
            del self.urls[dropped.url]


class Selector:
    """Offer articles one by one with :meth:`add`; :meth:`finish` gives the feeds.

    Times are compared as integer microseconds. :meth:`add_ref` takes an article known
    from the parse cache by an :class:`ArticleRef` and keeps that reference as the feed
    item if it enters a feed: no record is built per article, and only the few in feeds
    are decoded later, when their feed is rendered.
    """

    def __init__(
        self, rules_for: Callable[[str], Rules], *, now: datetime, site_feed: bool = False, track: Track | None = None
    ) -> None:
        self._rules_for = rules_for
        self._track = track
        self._now = micros(now)
        self._feeds: dict[str, _Feed] = {}
        self._site = site_feed
        self._spellings: dict[str, Counter[str]] = {}
        self._held: Counter[str] = Counter()
        self._accepted = 0
        self._newest: int | None = None
        self._until: int | None = None
        self._topic_keys: dict[tuple[str, ...], tuple[tuple[str, ...], list[tuple[str, str]]]] = {}
        self._name_keys: dict[str, str] = {}

    def _feed(self, key: str) -> _Feed:
        feed = self._feeds.get(key)
        if feed is None:
            feed = self._feeds[key] = _Feed(self._rules_for(key))
        return feed

    def _keys(self, topics: tuple[str, ...]) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
        # The feeds an article with these topics goes to, and (key, name) per topic name;
        # remembered per distinct tuple of names (a corpus has few).
        keys = [SITE_KEY] if self._site else []
        names = []
        for name in topics:
            key = self._name_keys.get(name)
            if key is None:
                key = self._name_keys[name] = topic_key(name)
            names.append((key, name))
            if key not in keys:
                keys.append(key)
        if len(self._topic_keys) >= 4096:
            self._topic_keys.clear()  # bounded: a large archive can have many combinations
        found = self._topic_keys[topics] = (tuple(keys), names)
        return found

    def add(self, article: Article) -> None:
        """Count an accepted article and offer it to each of its topics' feeds."""
        a = article
        self._add(a.path, a.url, micros(a.published_at), a.quality, a.published, a.topics, a)

    def add_ref(self, ref: ArticleRef) -> None:
        """:meth:`add` for an article known from the parse cache (see the class docstring)."""
        self._add(ref.path, ref.url, ref.published_us, ref.quality, ref.published, ref.topics, ref)

    def _add(
        self,
        path: str,
        url: str,
        when: int,
        quality: float,
        published: bool,
        topics: tuple[str, ...],
        item: Item,
    ) -> None:
        self._accepted += 1
        now = self._now
        # The date of an empty feed: the newest article already due, never a future one.
        if when <= now:
            if self._newest is None or when > self._newest:
                self._newest = when
        elif self._until is None or when < self._until:
            self._until = when  # due then: the selection may change
        found = self._topic_keys.get(topics)
        keys, names = found if found is not None else self._keys(topics)
        spellings = self._spellings
        for key, name in names:
            counts = spellings.get(key)
            if counts is None:
                counts = spellings[key] = Counter()
            counts[name] += 1
        first_reason: str | None = None
        track = self._track
        offered = False
        order: OrderKey | None = None
        for key in keys:
            feed = self._feeds.get(key) or self._feed(key)
            feed.total += 1
            if not published and not feed.unpublished_ok:
                reason: str | None = "unpublished"
            elif when > now:
                reason = "future"
            elif feed.max_age_us is not None and when < now - feed.max_age_us:
                reason = "too_old"
            else:
                if feed.max_age_us is not None:
                    expires = when + feed.max_age_us
                    if self._until is None or expires < self._until:
                        self._until = expires  # too old after then: the selection may change
                reason = "below_quality" if quality < feed.min_quality else None
            if track is not None and (reason is None or (reason == "too_old" and quality >= feed.min_quality)):
                track(key, item, when, quality)
            if reason is None:
                offered = True
                if order is None:
                    order = (-when, url, path)
                if feed.full_and_better(order):
                    continue  # the common case: turned away by one comparison
                feed.offer(item, order)
            else:
                feed.held[reason] += 1
                if first_reason is None:
                    first_reason = reason
        if not offered:
            self._held[first_reason or "no_topics"] += 1

    @property
    def valid_until(self) -> datetime | None:
        """The first moment the same articles could be selected differently (the clock)."""
        return None if self._until is None else from_micros(self._until)

    def _newest_time(self) -> datetime | None:
        return None if self._newest is None else from_micros(self._newest)

    def state(self) -> SelectionState:
        """What :meth:`finish` reads, so that a run with the same files can skip :meth:`add`."""
        return SelectionState(
            accepted=self._accepted,
            newest=self._newest_time(),
            held_back=dict(self._held),
            spellings={key: dict(c) for key, c in self._spellings.items()},
            feeds={key: FeedState(f.rules, f.total, tuple(f.items), dict(f.held)) for key, f in self._feeds.items()},
            valid_until=self.valid_until,
        )

    def restore(self, state: SelectionState) -> bool:
        """Take over a :meth:`state`; False (and nothing changed) if a feed's rules differ now."""
        restored = {}
        for key, stored in state.feeds.items():
            feed = _Feed(self._rules_for(key))
            if feed.rules != stored.rules:
                return False
            feed.total = stored.total
            feed.held = Counter(stored.held_back)
            feed.items = list(stored.items)
            feed.keys = [_order(a) for a in feed.items]
            feed.urls = {a.url: k for a, k in zip(feed.items, feed.keys, strict=True)}
            restored[key] = feed
        self._feeds = restored
        self._accepted = state.accepted
        self._newest = None if state.newest is None else micros(state.newest)
        self._held = Counter(state.held_back)
        self._spellings = {key: Counter(c) for key, c in state.spellings.items()}
        self._until = None if state.valid_until is None else micros(state.valid_until)
        return True

    @property
    def spellings(self) -> dict[str, Counter[str]]:
        """Each topic key seen so far with the count of each spelling of its name."""
        return self._spellings

    def finish(self, topics: TopicIndex, site_topic: Topic | None = None) -> SelectResult:
        """One :class:`Picked` per topic in ``topics`` (empty ones too), sorted by slug."""
        fallback = self._newest_time() or UNDATED
        out = []
        for topic in topics:
            feed = self._feeds.get(topic.key)
            out.append(self._selection(topic, feed, fallback))
        site = None
        if self._site and site_topic is not None:
            site = self._selection(site_topic, self._feeds.get(SITE_KEY), fallback)
        return SelectResult(
            selections=tuple(out),
            site=site,
            accepted=self._accepted,
            held_back=dict(sorted(self._held.items())),
            newest=self._newest_time(),
        )

    @staticmethod
    def _selection(topic: Topic, feed: _Feed | None, fallback: datetime) -> Picked:
        if feed is None:
            return Picked(topic=topic, items=(), total=0, updated=fallback)  # a defined topic no article uses yet
        items = tuple(feed.items)
        # Feed dates come from the data, never the clock, so output is byte-stable.
        updated = items[0].published_at if items else fallback
        h = feed.held
        held = HeldBack(
            h["unpublished"], h["future"], h["too_old"], h["below_quality"], feed.rules.min_quality, feed.rules.max_age
        )
        return Picked(topic=topic, items=items, total=feed.total, updated=updated, held=held)
