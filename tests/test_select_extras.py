"""Archive pages and top stories as the select step makes them: rules, order, boundaries, the clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from feedpub.config import ArchiveSettings, DigestSettings
from feedpub.records import Article, Rules, Topic
from feedpub.select import Selector
from feedpub.select_extras import ExtraSelector
from feedpub.times import from_micros
from feedpub.topics import TopicIndex, resolve_topics

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def art(n: int, days_ago: float, quality: float = 50, *, published: bool = True, url: str = "") -> Article:
    return Article(
        path=f"_news/{n}.md",
        title=f"Story {n}",
        url=url or f"https://news.test/{n}",
        published_at=NOW - timedelta(days=days_ago),
        quality=quality,
        published=published,
        topics=("AI",),
    )


def select(
    articles: list[Article], *, page: int = 3, digest: DigestSettings | None = None, rules: Rules | None = None
) -> tuple[dict[str, list[list[str]]], dict[str, list[str]], ExtraSelector]:
    """Archive pages (oldest first, each newest first) and top feeds by slug, as URLs."""
    extra = ExtraSelector(
        archive=ArchiveSettings(enabled=page > 0, page_size=max(page, 1)), digest_for=lambda key: digest, now=NOW
    )
    selector = Selector(
        lambda key: rules or Rules(min_quality=30, max_items=2, max_age=timedelta(days=5)), now=NOW, track=extra.track
    )
    for a in articles:
        selector.add(a)
    topics: TopicIndex = resolve_topics(selector.spellings, [])
    result = selector.finish(topics, Topic(key="", name="All", slug="all"))
    extras = extra.finish(result)
    pages: dict[str, list[list[str]]] = {}
    tops: dict[str, list[str]] = {}
    for feed in extras.feeds:
        urls = [a.url for a in feed.picked.items]
        if feed.kind == "archive":
            pages.setdefault(feed.picked.topic.slug, []).append(urls)
        else:
            tops[feed.picked.topic.slug] = urls
    return pages, tops, extra


def test_pages_count_from_the_oldest_and_hold_what_the_rules_let_in() -> None:
    articles = [art(i, 20 - i) for i in range(1, 8)]  # 1 oldest .. 7 newest
    articles += [art(50, 3, quality=10), art(51, 2, published=False), art(52, -1)]  # weak, draft, future
    articles += [art(60, 30, url="https://news.test/3")]  # an older file of story 3's URL
    pages, _, _ = select(articles)
    u = [f"https://news.test/{i}" for i in range(8)]
    assert pages["ai"] == [[u[3], u[2], u[1]], [u[6], u[5], u[4]], [u[7]]]


def test_the_order_of_the_files_does_not_matter() -> None:
    articles = [art(i, i % 9, quality=40 + i % 7) for i in range(30)]
    first = select(articles, digest=DigestSettings(enabled=True, days=5, items=4))[:2]
    random.Random(7).shuffle(articles)
    assert select(articles, digest=DigestSettings(enabled=True, days=5, items=4))[:2] == first


def test_a_full_page_is_followed_by_an_empty_one() -> None:
    pages, _, _ = select([art(i, 10 - i) for i in range(6)])
    assert [len(p) for p in pages["ai"]] == [3, 3, 0]


def test_top_stories_quality_then_date_then_url_within_the_window() -> None:
    articles = [
        art(1, 1, quality=70),
        art(2, 2, quality=90),
        art(3, 1, quality=90, url="https://news.test/b"),
        art(4, 1, quality=90, url="https://news.test/a"),
        art(5, 8, quality=99),  # outside the 7-day window
        art(6, 0.5, quality=20),  # below min_quality
    ]
    _, tops, extra = select(articles, page=0, digest=DigestSettings(enabled=True, days=7, items=3))
    assert tops["ai"] == ["https://news.test/a", "https://news.test/b", "https://news.test/2"]
    # The first to leave the window is story 2 (two days old): a stamp is good until then.
    assert extra.valid_until_us is not None
    assert from_micros(extra.valid_until_us) == NOW - timedelta(days=2) + timedelta(days=7)


def test_no_digest_no_archive_no_extras() -> None:
    pages, tops, extra = select([art(1, 1)], page=0, digest=None)
    assert pages == {} and tops == {} and extra.valid_until_us is None
