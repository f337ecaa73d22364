"""What every feed feedpub writes must satisfy, whatever the articles contained.

Shared by the fixture, CLI and property-based tests: the feed is well-formed XML,
every URL in it is an absolute http(s) URL, plain-text fields hold no markup, and the
HTML in item content uses only the allow-listed tags and attributes.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

SECRET = "SECRET-c0ffee-7f3a9b"
"""The distinctive string the fixture files put in ``secured`` and unknown fields."""

HTTP_URL = re.compile(r"^https?://[^\s/?#<>\"']+(?:[/?#][^\s<>\"]*)?$")
ALLOWED_HTML = {"p": set(), "ul": set(), "li": set(), "a": {"href"}, "img": {"src", "width", "height", "alt"}}
# Elements whose text is a URL, in RSS 2.0, Atom 1.0 and the media/dc extensions.
URL_TEXT = {"link", "guid", "comments", "docs", "url", "id", "uri", "logo", "icon"}
URL_ATTRIBUTES = {"href", "url", "src", "uri", "xmlUrl", "htmlUrl"}
PLAIN_TEXT = {"title", "summary", "name", "category", "creator", "subtitle", "text"}
# RSS <description> is HTML by the spec (feedgen fills it with the content when an item
# has no excerpt), so it gets the HTML checks.
HTML_TEXT = {"encoded", "description"}
TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def check_html(fragment: str) -> None:
    """Item HTML: only the allow-listed tags and attributes, links only to http(s)."""
    for el in lxml.html.fragment_fromstring(fragment, create_parent="div").iter():
        if el.tag == "div" and el.getparent() is None:
            continue
        assert isinstance(el.tag, str), f"comment or processing instruction in item HTML: {fragment[:200]}"
        assert el.tag in ALLOWED_HTML, f"<{el.tag}> in item HTML"
        for name, value in el.attrib.items():
            assert name in ALLOWED_HTML[el.tag], f"{name}= on <{el.tag}> in item HTML"
            if name in ("href", "src"):
                assert HTTP_URL.match(value), f"{name}={value!r}"


def check_feed(data: bytes) -> lxml.etree._Element:
    """Parse one RSS, Atom or OPML file and assert everything this module promises."""
    root = lxml.etree.fromstring(data, _PARSER)
    for el in root.iter():
        name = _local(el.tag)
        for attr, value in el.attrib.items():
            if _local(attr) in URL_ATTRIBUTES:
                assert HTTP_URL.match(value), f"<{name} {attr}={value!r}>"
        text = el.text or ""
        if name in URL_TEXT and text.strip() and el.get("isPermaLink") != "false":
            assert HTTP_URL.match(text.strip()), f"<{name}>{text!r}"
        if name in HTML_TEXT or (name == "content" and el.get("type") == "html"):
            check_html(text)
        elif name in PLAIN_TEXT:
            assert not TAG_LIKE.search(text), f"markup in <{name}>: {text[:200]!r}"
    return root


def check_json_feed(data: bytes) -> dict:
    """A JSON Feed: parses, every URL is http(s), item HTML passes :func:`check_html`."""
    import json

    feed = json.loads(data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    for key in ("home_page_url", "feed_url"):
        if key in feed:
            assert HTTP_URL.match(feed[key]), feed[key]
    for item in feed["items"]:
        assert HTTP_URL.match(item["url"]) and item["id"] == item["url"]
        assert not TAG_LIKE.search(item.get("title", "")), item.get("title")
        if "content_html" in item:
            check_html(item["content_html"])
        for att in item.get("attachments", []):
            assert HTTP_URL.match(att["url"]), att["url"]
        if "image" in item:
            assert HTTP_URL.match(item["image"]), item["image"]
    return feed


def check_page(data: bytes) -> None:
    """A page (index.html, a topic page): no script but the topic pages' own copy script,
    no event handlers, links relative or http(s)."""
    from feedpub.render.page import COPY_SCRIPT

    page = lxml.html.fromstring(data)
    for el in page.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "script":
            assert el.text == COPY_SCRIPT and not el.attrib, "a script that is not the copy script"
            continue
        assert el.tag not in ("iframe", "object", "embed"), el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), name
            if name in ("href", "src"):
                assert not re.match(r"^\s*[a-z][a-z0-9+.\-]*:", value, re.I) or HTTP_URL.match(value), value
