"""formats.py is the one home of every output kind: each file, and each link to one, carries its type."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import PurePosixPath

import feedparser

from feedpub.config import Site
from feedpub.formats import BY_EXTENSION, BY_KEY, FEEDS, OPML, content_type_of
from feedpub.records import Article, OutputFile, Selection, Topic
from feedpub.render.directory import render_index_page
from feedpub.render.feeds import render_feed
from feedpub.render.opml import render_opml
from feedpub.render.page import render_topic_page

FEED_KEYS = tuple(f.key for f in FEEDS)

WHEN = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
SITE = Site(title="Test News", link="https://site.test/", base_url="https://feeds.test/news/")
ARTICLE = Article(path="a.md", title="Robots", url="https://news.test/a", published_at=WHEN, quality=70, topics=("Robots",))
SELECTIONS = [Selection(Topic(key=k, name=k.title(), slug=k), (ARTICLE,), 1, WHEN) for k in ("robots", "home")]


def build() -> list[OutputFile]:
    files = [render_feed(sel, SITE, fmt) for sel in SELECTIONS for fmt in FEED_KEYS]
    files.append(render_opml(SELECTIONS, SITE, FEED_KEYS, WHEN))
    files.append(render_index_page(SELECTIONS, SITE, FEED_KEYS, WHEN))
    files += [render_topic_page(sel, SITE, FEED_KEYS) for sel in SELECTIONS]
    return files


class Links(HTMLParser):
    """Every (href, type) of a tag with both attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("href") and found.get("type"):
            self.found.append((found["href"] or "", found["type"] or ""))


def test_every_file_written_has_the_content_type_of_its_kind() -> None:
    files = build()
    assert {PurePosixPath(f.name).suffix for f in files} == set(BY_EXTENSION)
    for item in files:
        assert item.content_type == content_type_of(item.name), item.name


def test_every_file_the_directory_page_links_is_typed_as_formats_says() -> None:
    files = build()
    page = next(f for f in files if f.name == "index.html")
    links = Links()
    links.feed(page.data.decode("utf-8"))
    linked = {href for href, _ in links.found}
    assert linked == {f.name for f in files if f.name != "index.html"}, "every feed, page and the OPML, nothing else"
    for href, kind in links.found:
        assert kind == BY_EXTENSION[PurePosixPath(href).suffix].media_type, href
    assert any(href == "index.opml" and kind == OPML.media_type for href, kind in links.found)


def test_feeds_announce_their_own_type_in_their_self_link() -> None:
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(render_feed(SELECTIONS[0], SITE, fmt).data)
        [self_link] = [link for link in parsed.feed.links if link.rel == "self"]
        assert self_link.type == BY_KEY[fmt].media_type


def test_every_file_a_topic_page_links_is_typed_as_formats_says() -> None:
    files = build()
    page = next(f for f in files if f.name == "robots.html")
    links = Links()
    links.feed(page.data.decode("utf-8"))
    linked = {href for href, _ in links.found}
    assert linked == {"robots.xml", "robots.atom", "robots.json", "index.opml"}
    for href, kind in links.found:
        assert kind == BY_EXTENSION[PurePosixPath(href).suffix].media_type, href
