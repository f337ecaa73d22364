"""Cleaning of untrusted text and URLs from article files, before anything is rendered.

Titles and excerpts are plain text in every feed: markup is removed the way
jekyll-feed's ``strip_html`` does, HTML entities are decoded exactly once, and
characters XML 1.0 forbids are dropped (lxml would otherwise refuse the whole feed).
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

# Characters outside XML 1.0's Char production; lxml raises on them at serialisation.
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Script and style elements take their content with them, like strip_html.
_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>")
_SPACE = re.compile(r"\s+")

MAX_URL_LENGTH = 2048


def xml_safe(text: str) -> str:
    """Drop characters that cannot appear in an XML 1.0 document."""
    return _XML_INVALID.sub("", text)


def plain_text(value: str) -> str:
    """Markup stripped, entities decoded once, XML-invalid characters dropped, spaces folded."""
    text = _SCRIPT_STYLE.sub(" ", value)
    text = _COMMENT.sub(" ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = xml_safe(text)
    return _SPACE.sub(" ", text).strip()


def http_url(value: object, *, decode_entities: bool = False) -> str | None:
    """Return ``value`` when it is an absolute http(s) URL a feed may carry, else None.

    ``decode_entities`` is for image URLs scraped from WordPress HTML, which keep
    ``&#038;`` where the URL means ``&``.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if decode_entities and "&" in url:
        url = html.unescape(url)
    if not url or len(url) > MAX_URL_LENGTH:
        return None
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    if _XML_INVALID.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url
