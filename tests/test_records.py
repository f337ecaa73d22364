"""Records between the steps: an article known only by its cache reference can never be
rendered, as an item with an empty title would be; resolving it gives the full article."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedpub.cache.parsed import ParseCache
from feedpub.collect.read import read_article
from feedpub.collect.scan import iter_article_files
from feedpub.collect.stream import collect_articles
from feedpub.config import Site
from feedpub.records import Article, ArticleRef, Picked, Selection, Topic
from feedpub.render.feeds import render_feed

from .cache.test_caches import article, write

SITE = Site(title="Test News", link="https://site.test/", base_url="https://feeds.test/")
TOPIC = Topic(key="ai", name="AI", slug="ai")


@pytest.fixture
def refs(tmp_path: Path) -> tuple[ParseCache, list[ArticleRef]]:
    news = tmp_path / "site" / "_news"
    for i in range(3):
        write(news / f"story-{i}.md", article(i))
    cache = ParseCache(tmp_path / "cache")
    got = list(collect_articles(iter_article_files([news], newest_first=True), cache, workers=1))
    cache.save()
    assert all(isinstance(r, ArticleRef) for r in got)
    return cache, got  # type: ignore[return-value]


def test_a_reference_is_not_an_article_and_no_selection_takes_one(refs: tuple[ParseCache, list[ArticleRef]]) -> None:
    _, got = refs
    ref = got[0]
    assert not isinstance(ref, Article)
    assert not hasattr(ref, "title")
    with pytest.raises(TypeError):
        Selection(TOPIC, (ref,), 1, ref.published_at)  # type: ignore[arg-type]
    picked = Picked(TOPIC, tuple(got), 3, ref.published_at)
    with pytest.raises(TypeError):
        picked.selection()  # only the parse cache can resolve a reference
    for fmt in ("rss", "atom", "json"):
        with pytest.raises((TypeError, AttributeError)):
            render_feed(picked, SITE, fmt)  # type: ignore[arg-type]


def test_resolving_gives_the_full_articles_and_their_feed(refs: tuple[ParseCache, list[ArticleRef]]) -> None:
    cache, got = refs
    picked = Picked(TOPIC, tuple(got), 3, got[0].published_at)
    sel = cache.resolve(picked)
    assert sel.items == tuple(read_article(Path(r.path)) for r in got)
    assert all(a.title.startswith("Story ") for a in sel.items)
    assert (sel.topic, sel.total, sel.updated) == (picked.topic, picked.total, picked.updated)
    for ref, full in zip(got, sel.items, strict=True):
        assert (ref.url, ref.published_at, ref.quality, ref.published, ref.topics) == (
            full.url, full.published_at, full.quality, full.published, full.topics
        )  # fmt: skip
    data = render_feed(sel, SITE, "rss").data
    assert all(a.title.replace("&", "&amp;").encode() in data for a in sel.items)
    cache.close()


def test_a_feed_of_full_articles_needs_no_cache() -> None:
    a = Article(path="a.md", title="A title", url="https://x.test/a", published_at=datetime(2024, 1, 1, tzinfo=UTC))
    sel = Picked(TOPIC, (a,), 1, a.published_at).selection()
    assert sel == Selection(TOPIC, (a,), 1, a.published_at)
    assert b"A title" in render_feed(sel, SITE, "atom").data
