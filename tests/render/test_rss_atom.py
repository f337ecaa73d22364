"""The render step, read back with feedparser as a reader would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime

import feedparser

from feedpub.config import Site
from feedpub.records import Article, Image, Provider, Related, Selection, Topic
from feedpub.render.feeds import render_feed
from feedpub.render.images import guess_image_type
from feedpub.render.opml import render_opml

from ..feedcheck import check_feed

WHEN = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
SITE = Site(title="Test News", link="https://site.test/", base_url="https://feeds.test/news/")
ARTICLE = Article(
    path="a.md",
    title='Robots & "friends" <3',
    url="https://news.test/a?x=1&y=2",
    published_at=WHEN,
    excerpt="Short excerpt.",
    quality=70,
    topics=("Robots", "Home"),
    images=(Image("https://img.test/a.png", 640, 480), Image("https://img.test/b", 10, 10)),
    provider=Provider("Test Wire", "wire.test"),
    related=(Related("Other take", "https://other.test/r", Provider("Other")),),
)
SEL = Selection(Topic(key="robots", name="Robots", slug="robots", description="Machines"), (ARTICLE,), 1, WHEN)


def one(parent: ET.Element, path: str) -> ET.Element:
    """The element at ``path`` under ``parent``, which must be there."""
    found = parent.find(path)
    assert found is not None, path
    return found


def test_rss_read_back() -> None:
    out = render_feed(SEL, SITE, "rss", hubs=["https://hub.test/"])
    assert out.name == "robots.xml" and out.content_type == "application/rss+xml; charset=utf-8"
    feed = feedparser.parse(out.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.link == "https://site.test/"
    links = {(link.get("rel"), link.href) for link in feed.feed.links}
    assert ("self", "https://feeds.test/news/robots.xml") in links
    assert ("hub", "https://hub.test/") in links
    e = feed.entries[0]
    assert e.link == ARTICLE.url and e.id == ARTICLE.url
    assert e.title == ARTICLE.title
    assert e.enclosures[0].href == "https://img.test/a.png"
    assert e.enclosures[0].type == "image/png" and e.enclosures[0].length == "0"
    assert "Other take" in e.content[0].value and 'href="https://other.test/r"' in e.content[0].value
    assert [t.term for t in e.tags] == ["Robots", "Home"]
    root = ET.fromstring(out.data)
    item = one(root, "channel/item")
    assert one(item, "guid").get("isPermaLink") == "true"
    assert one(item, "pubDate").text == "Sat, 01 Mar 2025 10:00:00 +0000"
    media = "{http://search.yahoo.com/mrss/}"
    assert [c.get("url") for c in item.findall(f"{media}content")] == ["https://img.test/a.png", "https://img.test/b"]
    assert one(item, f"{media}thumbnail").get("width") == "640"
    assert root.find(f"channel/{media}group") is None


def test_atom_read_back_has_enclosure_and_related_links() -> None:
    out = render_feed(SEL, SITE, "atom")
    feed = feedparser.parse(out.data)
    assert not feed.bozo, feed.get("bozo_exception")
    e = feed.entries[0]
    assert e.link == ARTICLE.url  # the article, not the image
    rels = {(link.rel, link.href) for link in e.links}
    assert ("enclosure", "https://img.test/a.png") in rels
    assert ("related", "https://other.test/r") in rels
    # Size unknown (not probed): Atom leaves length out (RFC 4287: advisory; 0 would be a false hint).
    assert e.enclosures[0].type == "image/png" and "length" not in e.enclosures[0]
    assert b"length=" not in out.data
    related = next(link for link in e.links if link.rel == "related")
    assert related.title == "Other take"
    assert feed.feed.author == "Test News"
    assert e.author == "Test Wire"
    assert e.summary == "Short excerpt."


def test_output_is_deterministic() -> None:
    assert render_feed(SEL, SITE, "rss").data == render_feed(SEL, SITE, "rss").data
    assert render_feed(SEL, SITE, "atom").data == render_feed(SEL, SITE, "atom").data
    assert b"2025-03-01T10:00:00+00:00" in render_feed(SEL, SITE, "atom").data


def test_empty_feed_is_valid() -> None:
    empty = Selection(Topic(key="x", name="X", slug="x"), (), 0, WHEN)
    for fmt in ("rss", "atom"):
        feed = feedparser.parse(render_feed(empty, SITE, fmt).data)
        assert not feed.bozo and feed.entries == []


def test_opml_lists_every_feed() -> None:
    out = render_opml([SEL], SITE, ["rss", "atom"], WHEN)
    root = ET.fromstring(out.data)
    outline = one(root, "body/outline")
    assert outline.get("xmlUrl") == "https://feeds.test/news/robots.xml"
    assert outline.get("htmlUrl") == "https://site.test/" and outline.get("text") == "Robots"


def test_image_type_from_extension() -> None:
    assert guess_image_type("https://i.test/a.PNG?x=1") == "image/png"
    assert guess_image_type("https://i.test/a") == "image/jpeg"
    assert guess_image_type("https://i.test/a.webp") == "image/webp"


def test_known_enclosure_size_is_kept_in_atom_and_rss() -> None:
    from feedpub.render.images import ProbeResult

    sizes = {"https://img.test/a.png": ProbeResult("image/png", 2048)}
    for fmt in ("atom", "rss"):
        feed = feedparser.parse(render_feed(SEL, SITE, fmt, probe=sizes.get).data)
        assert feed.entries[0].enclosures[0].length == "2048", fmt


def test_topic_image_is_the_rss_channel_image_and_the_atom_logo() -> None:
    logo = "https://img.test/robots.jpg"
    rss = ET.fromstring(render_feed(SEL, SITE, "rss", image=logo).data)
    channel = one(rss, "channel")
    assert one(channel, "image/url").text == logo
    # The validator wants the image's title and link to be the channel's.
    assert one(channel, "image/title").text == one(channel, "title").text == "Test News: Robots"
    assert one(channel, "image/link").text == one(channel, "link").text
    atom = ET.fromstring(render_feed(SEL, SITE, "atom", image=logo).data)
    assert one(atom, "{http://www.w3.org/2005/Atom}logo").text == logo
    assert b"<image>" not in render_feed(SEL, SITE, "rss").data  # no topic image, no site.logo: none


def test_site_favicon_is_the_atom_icon_and_nothing_in_rss() -> None:
    site = replace(SITE, favicon="https://site.test/favicon.png")
    atom = render_feed(SEL, site, "atom", image="https://img.test/robots.jpg").data
    assert one(ET.fromstring(atom), "{http://www.w3.org/2005/Atom}icon").text == "https://site.test/favicon.png"
    assert feedparser.parse(atom).feed.icon == "https://site.test/favicon.png"
    assert check_feed("robots.atom", atom) == []
    rss = render_feed(SEL, site, "rss").data
    assert rss == render_feed(SEL, SITE, "rss").data  # RSS 2.0 has no icon element: the same bytes
    assert check_feed("robots.xml", rss) == []
    assert b"<icon>" not in render_feed(SEL, SITE, "atom").data  # no site.favicon: none


def test_archive_document_links_and_mark() -> None:
    from feedpub.render.feeds import Doc

    doc = Doc(
        "archive/robots/2",
        "Test News: Robots (archive 2)",
        (("current", "robots"), ("prev-archive", "archive/robots/1")),
        archive=True,
    )
    for fmt, ext in (("atom", ".atom"), ("rss", ".xml")):
        out = render_feed(SEL, SITE, fmt, hubs=["https://hub.test/"], doc=doc)
        assert out.name == "archive/robots/2" + ext
        feed = feedparser.parse(out.data)
        assert not feed.bozo, feed.get("bozo_exception")
        links = {x.get("rel"): x.href for x in feed.feed.links}
        base = "https://feeds.test/news/"
        assert links["self"] == f"{base}archive/robots/2{ext}"
        assert links["current"] == f"{base}robots{ext}"
        assert links["prev-archive"] == f"{base}archive/robots/1{ext}"
        assert "hub" not in links and "next-archive" not in links
        assert feed.feed.title == "Test News: Robots (archive 2)"
        assert out.data.count(b'<fh:archive xmlns:fh="http://purl.org/syndication/history/1.0"/>') == 1
    assert b"fh:archive" not in render_feed(SEL, SITE, "atom").data
