"""The select step: rules, order, de-duplication and held-back counts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from feedpub.records import Article
from feedpub.select import Rules, Selector
from feedpub.topics import resolve_topics

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def art(n: int, *, days: float = 0, q: float = 50, topics=("T",), published=True, url=None) -> Article:
    return Article(
        path=f"{n}.md",
        title=f"t{n}",
        url=url or f"https://x.test/{n}",
        published_at=NOW - timedelta(days=days),
        quality=q,
        published=published,
        topics=topics,
    )


def run(articles, rules=Rules(), **kw):
    sel = Selector(lambda key: rules, now=NOW, **kw)
    for a in articles:
        sel.add(a)
    return sel.finish(resolve_topics(sel.spellings, []))


def test_newest_first_limited_and_ties_stable() -> None:
    arts = [art(i, days=i % 5) for i in range(20)]
    res = run(arts, Rules(max_items=7))
    items = res.selections[0].items
    assert len(items) == 7
    assert [a.published_at for a in items] == sorted((a.published_at for a in items), reverse=True)
    assert [a.url for a in run(list(reversed(arts)), Rules(max_items=7)).selections[0].items] == [a.url for a in items]


def test_rules_hold_back_with_reasons() -> None:
    arts = [
        art(1, q=10),
        art(2, published=False),
        art(3, days=-1),  # tomorrow
        art(4, days=400),
        art(5),
    ]
    res = run(arts, Rules(min_quality=20, max_age=timedelta(days=30)))
    assert [a.path for a in res.selections[0].items] == ["5.md"]
    assert res.held_back == {"below_quality": 1, "unpublished": 1, "future": 1, "too_old": 1}
    assert res.accepted == 5


def test_include_unpublished() -> None:
    res = run([art(1, published=False)], Rules(include_unpublished=True))
    assert len(res.selections[0].items) == 1


def test_same_url_once_per_feed_keeping_newest() -> None:
    res = run([art(1, days=3, url="https://x.test/same"), art(2, days=1, url="https://x.test/same"), art(3, days=2)])
    items = res.selections[0].items
    assert [a.path for a in items] == ["2.md", "3.md"]


def test_empty_feed_dated_by_newest_article_and_site_feed() -> None:
    res = run([art(1, days=2, topics=("A",)), art(2, days=1, topics=("B",), q=0)], Rules(min_quality=10), site_feed=True)
    by_slug = {s.topic.slug: s for s in res.selections}
    assert by_slug["b"].items == () and by_slug["b"].updated == NOW - timedelta(days=1)
    assert by_slug["a"].updated == NOW - timedelta(days=2)


def test_spellings_are_counted() -> None:
    sel = Selector(lambda key: Rules(), now=NOW)
    for a in (art(1, topics=("AI",)), art(2, topics=("ai",)), art(3, topics=("AI",))):
        sel.add(a)
    assert sel.spellings["ai"] == Counter({"AI": 2, "ai": 1})
    assert sel.finish(resolve_topics(sel.spellings, [])).selections[0].topic.name == "AI"
