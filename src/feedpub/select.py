"""The select step: which articles each topic's feed publishes.

Streaming: articles are offered one at a time and each topic keeps only its best
``max_items`` (newest first), so memory follows topics x max items, not the archive.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from feedpub.records import Article, Selection, Topic
from feedpub.topics import TopicIndex, topic_key

SITE_KEY = "\x00site"
"""The key of the optional site-wide feed of all topics (no topic name can equal it)."""


@dataclass(frozen=True, slots=True)
class Rules:
    """Selection rules of one feed (config defaults, per-topic overrides, CLI flags)."""

    min_quality: float = 0
    max_items: int = 50
    max_age: timedelta | None = None
    include_unpublished: bool = False


def _order(article: Article) -> tuple[float, str, str]:
    # Newest first; equal times are ordered by URL then path, whatever the file order.
    return (-article.published_at.timestamp(), article.url, article.path)


def rules_tuple(rules: Rules) -> tuple:  # type: ignore[type-arg]
    """Rules as plain values (the selection snapshot compares them)."""
    age = rules.max_age
    return (rules.min_quality, rules.max_items, None if age is None else (age.days, age.seconds, age.microseconds), rules.include_unpublished)


class _Feed:
    """The best items of one feed so far, sorted, each URL once."""

    __slots__ = ("rules", "keys", "items", "urls", "total")

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.keys: list[tuple[float, str, str]] = []
        self.items: list[Article] = []
        self.urls: dict[str, tuple[float, str, str]] = {}
        self.total = 0

    def offer(self, article: Article, key: tuple[float, str, str] | None = None) -> None:
        if key is None:
            key = _order(article)
        old = self.urls.get(article.url)
        if old is not None:
            if old <= key:
                return
            i = bisect.bisect_left(self.keys, old)
            del self.keys[i], self.items[i]
        elif len(self.keys) >= self.rules.max_items:
            if not self.keys or key >= self.keys[-1]:
                return
        i = bisect.bisect_left(self.keys, key)
        self.keys.insert(i, key)
        self.items.insert(i, article)
        self.urls[article.url] = key
        while len(self.keys) > self.rules.max_items:
            self.keys.pop()
            dropped = self.items.pop()
            del self.urls[dropped.url]


@dataclass(frozen=True, slots=True)
class SelectResult:
    """Per-feed selections plus the counts the summary reports."""

    selections: tuple[Selection, ...]
    site: Selection | None
    accepted: int
    held_back: dict[str, int]
    spellings: dict[str, Counter[str]]
    newest: datetime | None


class Selector:
    """Offer articles one by one with :meth:`add`; :meth:`finish` gives the feeds."""

    def __init__(self, rules_for: Callable[[str], Rules], *, now: datetime, site_feed: bool = False) -> None:
        self._rules_for = rules_for
        self._rules: dict[str, Rules] = {}
        self._now = now
        self._feeds: dict[str, _Feed] = {}
        self._site = site_feed
        self._spellings: dict[str, Counter[str]] = {}
        self._held: Counter[str] = Counter()
        self._accepted = 0
        self._newest: datetime | None = None
        self._until: datetime | None = None
        self._topic_keys: dict[tuple[str, ...], tuple[tuple[str, ...], list[tuple[str, str]]]] = {}

    def _feed(self, key: str) -> _Feed:
        feed = self._feeds.get(key)
        if feed is None:
            feed = self._feeds[key] = _Feed(self._rules_for(key))
        return feed

    def _reason(self, article: Article, rules: Rules) -> str | None:
        if not article.published and not rules.include_unpublished:
            return "unpublished"
        if article.published_at > self._now:
            return "future"
        if rules.max_age is not None:
            if article.published_at < self._now - rules.max_age:
                return "too_old"
            expires = article.published_at + rules.max_age
            if self._until is None or expires < self._until:
                self._until = expires  # too old after then: the selection may change
        if article.quality < rules.min_quality:
            return "below_quality"
        return None

    def _keys(self, topics: tuple[str, ...]) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
        # The feeds an article with these topics goes to, and (key, name) per topic name;
        # remembered per distinct tuple of names (a corpus has few).
        keys = [SITE_KEY] if self._site else []
        names = []
        for name in topics:
            key = topic_key(name)
            names.append((key, name))
            if key not in keys:
                keys.append(key)
        found = self._topic_keys[topics] = (tuple(keys), names)
        return found

    def add(self, article: Article) -> None:
        """Count an accepted article and offer it to each of its topics' feeds."""
        self._accepted += 1
        when = article.published_at
        # The date of an empty feed: the newest article already due, never a future one.
        if when <= self._now:
            if self._newest is None or when > self._newest:
                self._newest = when
        elif self._until is None or when < self._until:
            self._until = when  # due then: the selection may change
        topics = article.topics
        found = self._topic_keys.get(topics)
        keys, names = found if found is not None else self._keys(topics)
        spellings = self._spellings
        for key, name in names:
            counts = spellings.get(key)
            if counts is None:
                counts = spellings[key] = Counter()
            counts[name] += 1
        first_reason: str | None = None
        offered = False
        order = None
        for key in keys:
            feed = self._feeds.get(key) or self._feed(key)
            feed.total += 1
            reason = self._reason(article, feed.rules)
            if reason is None:
                if order is None:
                    order = _order(article)
                feed.offer(article, order)
                offered = True
            elif first_reason is None:
                first_reason = reason
        if not offered:
            self._held[first_reason or "no_topics"] += 1

    @property
    def valid_until(self) -> datetime | None:
        """The first moment the same articles could be selected differently (the clock)."""
        return self._until

    def state(self) -> tuple:  # type: ignore[type-arg]
        """What :meth:`finish` reads, so that a run with the same files can skip :meth:`add`.

        ``(accepted, newest, held, spellings, feeds)``; feeds map each key to
        ``(rules as a tuple, total, items)``.
        """
        feeds = {key: (rules_tuple(f.rules), f.total, list(f.items)) for key, f in self._feeds.items()}
        spellings = {key: dict(c) for key, c in self._spellings.items()}
        return (self._accepted, self._newest, dict(self._held), spellings, feeds)

    def restore(self, state: tuple) -> bool:  # type: ignore[type-arg]
        """Take over a :meth:`state`; False (and nothing changed) if a feed's rules differ now."""
        accepted, newest, held, spellings, feeds = state
        restored = {}
        for key, (rules, total, items) in feeds.items():
            feed = _Feed(self._rules_for(key))
            if rules_tuple(feed.rules) != tuple(rules):
                return False
            feed.total = total
            feed.items = list(items)
            feed.keys = [_order(a) for a in feed.items]
            feed.urls = {a.url: k for a, k in zip(feed.items, feed.keys)}
            restored[key] = feed
        self._feeds = restored
        self._accepted = accepted
        self._newest = newest
        self._held = Counter(held)
        self._spellings = {key: Counter(c) for key, c in spellings.items()}
        return True

    @property
    def spellings(self) -> dict[str, Counter[str]]:
        """Each topic key seen so far with the count of each spelling of its name."""
        return self._spellings

    def finish(self, topics: TopicIndex, site_topic: Topic | None = None) -> SelectResult:
        """One Selection per topic in ``topics`` (empty ones too), sorted by slug."""
        fallback = self._newest or datetime(1970, 1, 1, tzinfo=timezone.utc)
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
            spellings=self._spellings,
            newest=self._newest,
        )

    @staticmethod
    def _selection(topic: Topic, feed: _Feed | None, fallback: datetime) -> Selection:
        items = tuple(feed.items) if feed else ()
        # Feed dates come from the data, never the clock, so output is byte-stable.
        updated = items[0].published_at if items else fallback
        return Selection(topic=topic, items=items, total=feed.total if feed else 0, updated=updated)
