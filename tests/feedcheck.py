"""Checks of a feed file against the rules the W3C Feed Validation Service applies.

The validator itself cannot run here: it is not published on PyPI and the tests reach
no network. These are the rules it reports that feedpub's feeds can break (gathered in
the project's notes on feeds, from the RSS 2.0 and Atom specifications, RFC 5005 and
the validator's own messages and its RFC 5005 checks), plus the JSON Feed 1.1
specification's, and a real parser (feedparser) reading every file back. Each function returns the problems found,
an empty list for a clean file.
"""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
FH = "http://purl.org/syndication/history/1.0"
RSS_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d (\+0000|GMT)$"
)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# Link relations the validator knows (IANA registry: RFC 4287, RFC 5005, WebSub).
RELS = {"self", "alternate", "hub", "current", "prev-archive", "next-archive", "enclosure", "related"}
UNSAFE = re.compile(r"<\s*(script|iframe|style|object|embed)\b|\son\w+\s*=|javascript:", re.IGNORECASE)


def _absolute(url: str | None) -> bool:
    return bool(url) and re.match(r"^https?://[^/\s]+", url or "") is not None


def check_feed(name: str, data: bytes) -> list[str]:
    """Every problem of one feed file, by its extension (``.xml`` RSS, ``.atom``, ``.json``)."""
    if name.endswith(".json"):
        return check_json_feed(data)
    problems = []
    parsed = feedparser.parse(data)
    if parsed.bozo:
        problems.append(f"feedparser: {parsed.get('bozo_exception')}")
    root = etree.fromstring(data)
    problems += check_rss(root) if name.endswith(".xml") else check_atom(root)
    for link in root.iter(f"{{{ATOM}}}link"):
        rel = link.get("rel", "alternate")
        if rel not in RELS:
            problems.append(f"unknown link relation {rel!r}")
        if not _absolute(link.get("href")):
            problems.append(f"link {rel} href is not an absolute URL: {link.get('href')!r}")
        length = link.get("length")
        if length is not None and not length.isdigit():
            problems.append(f"link length {length!r} is not a whole number")
    marks = list(root.iter(f"{{{FH}}}archive"))
    if len(marks) > 1 or any(len(m) or (m.text or "").strip() for m in marks):
        problems.append("fh:archive must be one empty element")
    rels = {link.get("rel") for link in root.iter(f"{{{ATOM}}}link")}
    if marks and not rels & {"prev-archive", "next-archive"}:
        problems.append("Archive incomplete: an archive document without prev-archive or next-archive")
    if marks and "current" not in rels:
        problems.append("an archive document without a current link")
    return problems


def check_rss(root: Any) -> list[str]:
    problems = []
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        return ["not an RSS 2.0 document"]
    for tag in ("title", "link", "description"):
        if not (channel.findtext(tag) or "").strip():
            problems.append(f"channel has no {tag}")
    selfs = [x for x in channel.findall(f"{{{ATOM}}}link") if x.get("rel") == "self"]
    if len(selfs) != 1 or selfs[0].get("type") != "application/rss+xml":
        problems.append("channel needs one atom:link rel=self of type application/rss+xml")
    image = channel.find("image")
    if image is not None:
        if not _absolute(image.findtext("url")):
            problems.append("image url is not absolute")
        if image.findtext("title") != channel.findtext("title") or image.findtext("link") != channel.findtext("link"):
            problems.append("image title and link should be the channel's")
    for date in [channel.findtext("lastBuildDate"), *(i.findtext("pubDate") for i in channel.findall("item"))]:
        if date is not None and not RSS_DATE.match(date):
            problems.append(f"not an RFC 822 date with +0000 or GMT: {date!r}")
        elif date is not None:
            parsedate_to_datetime(date)
    for item in channel.findall("item"):
        if not (item.findtext("title") or item.findtext("description")):
            problems.append("item needs a title or a description")
        guid = item.find("guid")
        if guid is not None and guid.get("isPermaLink", "true") == "true" and not _absolute(guid.text):
            problems.append(f"permalink guid is not a URL: {guid.text!r}")
        enclosures = item.findall("enclosure")
        if len(enclosures) > 1:
            problems.append("more than one enclosure in an item")
        for enc in enclosures:
            if not _absolute(enc.get("url")) or not (enc.get("length") or "").isdigit() or not enc.get("type"):
                problems.append(f"enclosure needs an absolute url, a whole length and a type: {dict(enc.attrib)}")
        for field in ("description", "{http://purl.org/rss/1.0/modules/content/}encoded"):
            if UNSAFE.search(item.findtext(field) or ""):
                problems.append(f"{field} holds script, style, an event handler or a javascript: link")
    return problems


def check_atom(root: Any) -> list[str]:
    a = f"{{{ATOM}}}"
    if root.tag != f"{a}feed":
        return ["not an Atom feed"]
    problems = []
    for tag in ("id", "title", "updated"):
        if not (root.findtext(a + tag) or "").strip():
            problems.append(f"feed has no {tag}")
    if not RFC3339.match(root.findtext(a + "updated") or ""):
        problems.append("feed updated is not RFC 3339")
    selfs = [x for x in root.findall(a + "link") if x.get("rel") == "self"]
    if len(selfs) != 1:
        problems.append("feed needs one link rel=self")
    for tag in ("logo", "icon"):
        found = root.findall(a + tag)
        if len(found) > 1:
            problems.append(f"more than one {tag}")  # RFC 4287 4.2.5, 4.2.8: at most one
        if found and not _absolute(found[0].text):
            problems.append(f"{tag} is not an absolute URL")
    feed_author = root.find(a + "author") is not None
    for entry in root.findall(a + "entry"):
        for tag in ("id", "title", "updated"):
            if not (entry.findtext(a + tag) or "").strip():
                problems.append(f"entry has no {tag}")
        for tag in ("updated", "published"):
            value = entry.findtext(a + tag)
            if value is not None and not RFC3339.match(value):
                problems.append(f"entry {tag} is not RFC 3339: {value!r}")
        if not feed_author and entry.find(a + "author") is None:
            problems.append("an entry without author in a feed without author")
        alternates = [x for x in entry.findall(a + "link") if x.get("rel", "alternate") == "alternate"]
        if len({(x.get("type"), x.get("hreflang")) for x in alternates}) != len(alternates):
            problems.append("two alternate links of the same type in an entry")
        for link in entry.findall(a + "link"):
            if link.get("rel") == "enclosure" and not link.get("type"):
                problems.append("enclosure link without a type")
        content = entry.find(a + "content")
        if content is not None and UNSAFE.search(content.text or ""):
            problems.append("content holds script, style, an event handler or a javascript: link")
    return problems


def check_json_feed(data: bytes) -> list[str]:
    """The JSON Feed 1.1 rules: required keys, their types, URLs and dates."""
    problems = []
    feed = json.loads(data)
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append("version is not 1.1")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        problems.append("no title")
    for key in ("home_page_url", "feed_url", "icon", "favicon"):
        if key in feed and not _absolute(feed[key]):
            problems.append(f"{key} is not an absolute URL")
    for author in feed.get("authors", []):
        if not isinstance(author, dict) or not ({"name", "url", "avatar"} & set(author)):
            problems.append(f"an author needs a name, url or avatar: {author!r}")
    for hub in feed.get("hubs", []):
        if not isinstance(hub, dict) or not isinstance(hub.get("type"), str) or not _absolute(hub.get("url")):
            problems.append(f"a hub needs a type and a URL: {hub!r}")
    if not isinstance(feed.get("items"), list):
        return [*problems, "items is not a list"]
    ids = [item.get("id") for item in feed["items"]]
    if len(ids) != len(set(ids)):
        problems.append("item ids are not unique")
    for item in feed["items"]:
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append("an item without id")
        if not isinstance(item.get("content_html"), str) and not isinstance(item.get("content_text"), str):
            problems.append(f"item {item.get('id')} has neither content_html nor content_text")
        for key in ("date_published", "date_modified"):
            if key in item and not RFC3339.match(item[key]):
                problems.append(f"item {key} is not RFC 3339")
        for attachment in item.get("attachments", []):
            if not _absolute(attachment.get("url")) or not isinstance(attachment.get("mime_type"), str):
                problems.append("an attachment needs a URL and a mime_type")
    return problems
