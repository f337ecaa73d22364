"""JSON Feed 1.1 output, parsed back and checked against the specification's rules."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from feedpub.records import Article, Image, Provider, Selection, Topic
from feedpub.render.images import ProbeResult
from feedpub.render.jsonfeed import render_json_feed

from ..feedcheck import check_json_feed

UTC = UTC
TOPIC = Topic(key="computer vision", name="Computer Vision", slug="computer-vision", description="Seeing machines")


def article(n: int, **kw: Any) -> Article:
    fields: dict[str, Any] = {
        "path": f"_news/{n}.md",
        "title": f"Story {n}",
        "url": f"https://news.example/{n}",
        "published_at": datetime(2024, 5, n, 8, 30, tzinfo=UTC),
        "excerpt": f"Excerpt {n}",
        "topics": ("Computer Vision", "AI"),
    }
    fields.update(kw)
    return Article(**fields)


def selection(*items: Article) -> Selection:
    return Selection(topic=TOPIC, items=items, total=len(items), updated=datetime(2024, 5, 9, tzinfo=UTC))


def render(sel: Selection, **kw: Any) -> bytes:
    args: dict[str, Any] = {
        "site_title": "Example News",
        "site_link": "https://example.org/",
        "feed_url": "https://example.org/feeds/computer-vision.json",
        "language": "en",
        "content_html": lambda a: f"<p>{html.escape(a.excerpt)}</p>",
    }
    args.update(kw)
    return render_json_feed(sel, **args)


def check_spec(feed: dict[str, Any]) -> None:
    """The JSON Feed 1.1 rules a reader relies on (required fields and their types)."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    for key in ("home_page_url", "feed_url", "description", "language"):
        assert key not in feed or isinstance(feed[key], str)
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)), "ids are unique"
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)
        for key in ("url", "title", "summary", "image", "date_published"):
            assert key not in item or isinstance(item[key], str)
        if "date_published" in item:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", item["date_published"])
        for att in item.get("attachments", []):
            assert isinstance(att["url"], str) and isinstance(att["mime_type"], str)
            assert "size_in_bytes" not in att or (isinstance(att["size_in_bytes"], int) and att["size_in_bytes"] > 0)
        for author in item.get("authors", []):
            assert isinstance(author, dict) and ("name" in author or "url" in author)
        assert all(isinstance(t, str) for t in item.get("tags", []))


def test_feed_parses_back_with_every_field() -> None:
    a = article(
        3,
        images=(Image("https://cdn.example/a.png"), Image("https://cdn.example/b.webp"), Image("https://cdn.example/a.png")),
        provider=Provider("Example Wire", "wire.example"),
    )
    sizes = {"https://cdn.example/a.png": ProbeResult("image/png", 2048)}
    data = render(selection(a), probed=sizes.get)
    feed = json.loads(data)
    check_spec(feed)
    assert list(feed) == ["version", "title", "home_page_url", "feed_url", "description", "language", "items"]
    assert feed["title"] == "Example News: Computer Vision"
    assert feed["home_page_url"] == "https://example.org/"
    assert feed["feed_url"] == "https://example.org/feeds/computer-vision.json"
    assert feed["description"] == "Seeing machines"
    assert feed["language"] == "en"
    assert feed["items"] == [
        {
            "id": "https://news.example/3",
            "url": "https://news.example/3",
            "title": "Story 3",
            "content_html": "<p>Excerpt 3</p>",
            "summary": "Excerpt 3",
            "date_published": "2024-05-03T08:30:00Z",
            "image": "https://cdn.example/a.png",
            "attachments": [
                {"url": "https://cdn.example/a.png", "mime_type": "image/png", "size_in_bytes": 2048},
                {"url": "https://cdn.example/b.webp", "mime_type": "image/webp"},
            ],
            "authors": [{"name": "Example Wire", "url": "https://wire.example"}],
            "tags": ["Computer Vision", "AI"],
        }
    ]


def test_items_keep_the_selection_order_and_dates_are_utc() -> None:
    paris = timezone(timedelta(hours=2))
    items = (
        article(9, published_at=datetime(2024, 5, 9, 10, 0, 0, 123456, tzinfo=paris)),
        article(2),
        article(5, published_at=datetime(2024, 5, 5, 23, 59, 59)),
    )
    feed = json.loads(render(selection(*items)))
    check_spec(feed)
    assert [i["id"] for i in feed["items"]] == ["https://news.example/9", "https://news.example/2", "https://news.example/5"]
    assert [i["date_published"] for i in feed["items"]] == [
        "2024-05-09T08:00:00Z",
        "2024-05-02T08:30:00Z",
        "2024-05-05T23:59:59Z",
    ]


def test_only_http_urls_are_published() -> None:
    items = (
        article(1, url="javascript:alert(1)"),
        article(2, images=(Image("data:image/png;base64,AAAA"), Image("ftp://x.example/a.jpg"), Image("http://x.example/b"))),
        article(3, provider=Provider("No Domain")),
    )
    feed = json.loads(render(selection(*items), site_link="/relative", feed_url="file:///feed.json"))
    check_spec(feed)
    assert "home_page_url" not in feed and "feed_url" not in feed
    assert [i["id"] for i in feed["items"]] == ["https://news.example/2", "https://news.example/3"]
    second = feed["items"][0]
    assert second["image"] == "http://x.example/b"
    assert second["attachments"] == [{"url": "http://x.example/b", "mime_type": "image/jpeg"}]
    assert feed["items"][1]["authors"] == [{"name": "No Domain"}]


def test_minimal_items_still_meet_the_spec() -> None:
    bare = Article(path="x.md", title="Bare", url="https://news.example/bare", published_at=datetime(2024, 1, 1, tzinfo=UTC))
    sel = Selection(topic=Topic(key="t", name="T", slug="t"), items=(bare,), total=1, updated=bare.published_at)
    feed = json.loads(render(sel, content_html=None, language=None))
    check_spec(feed)
    assert "language" not in feed
    assert feed["description"] == "T news from Example News"
    (item,) = feed["items"]
    assert item["content_text"] == "Bare"
    assert not {"summary", "image", "attachments", "authors", "tags"} & set(item)


def test_empty_selection_gives_an_empty_items_list() -> None:
    feed = json.loads(render(selection()))
    check_spec(feed)
    assert feed["items"] == []


def test_output_is_deterministic_readable_utf8() -> None:
    a = article(4, title="Zürich’s “vision” lab — 東京", excerpt='He said "<b>hi</b>"\u2028ok', topics=("Vision",))
    first, second = render(selection(a)), render(selection(a))
    assert first == second
    assert first.endswith(b"}\n") and not first.endswith(b"\n\n")
    text = first.decode("utf-8")
    assert "Zürich’s “vision” lab — 東京" in text, "non-ASCII is written as is"
    assert '\n  "items": [\n' in text, "indented by two spaces"
    assert json.loads(text)["items"][0]["summary"] == 'He said "<b>hi</b>"\u2028ok'


def test_a_lone_surrogate_does_not_break_the_feed() -> None:
    feed = json.loads(render(selection(article(1, title="bad \ud800 title"))))
    assert feed["items"][0]["title"] == "bad ? title"


def test_hubs_authors_and_icon_as_the_xml_feeds_carry_them() -> None:
    data = render(
        selection(article(1)),
        hubs=["https://hub.example/", "https://hub2.example/"],
        author=("Example Desk", "https://example.org/"),
        icon="https://example.org/topics/cv.jpg",
        title="Example News: Computer Vision, top stories",
    )
    feed = json.loads(data)
    check_spec(feed)
    assert feed["title"] == "Example News: Computer Vision, top stories"
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}, {"type": "WebSub", "url": "https://hub2.example/"}]
    assert feed["authors"] == [{"name": "Example Desk", "url": "https://example.org/"}]
    assert feed["icon"] == "https://example.org/topics/cv.jpg" and "favicon" not in feed
    # Not an http(s) URL: left out rather than written.
    assert "icon" not in json.loads(render(selection(article(1)), icon="javascript:alert(1)"))
    assert "hubs" not in json.loads(render(selection(article(1))))


def test_favicon_when_the_site_has_one() -> None:
    data = render(selection(article(1)), icon="https://example.org/topics/cv.jpg", favicon="https://example.org/favicon.png")
    feed = json.loads(data)
    check_spec(feed)
    assert check_json_feed(data) == []
    assert feed["favicon"] == "https://example.org/favicon.png"
    assert feed["icon"] == "https://example.org/topics/cv.jpg"
    assert "favicon" not in json.loads(render(selection(article(1)), favicon="data:image/png;base64,AAAA"))
