"""Cleaning of untrusted text and URLs from article files, before anything is rendered.

Titles and excerpts are plain text in every feed: markup is removed the way
jekyll-feed's ``strip_html`` does, HTML entities are decoded exactly once, and
characters XML 1.0 forbids are dropped (lxml would otherwise refuse the whole feed).
Text that only looks like a tag after decoding (``&lt;script&gt;``) is removed as
well, because many readers show RSS titles as HTML.

Invisible characters: zero-width spaces, word joiners, stray BOMs, C1 controls and the
bidi embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069, the
"Trojan Source" characters, which can reorder the text around them in a reader's
list) are removed. The marks right-to-left text needs are kept: LRM, RLM, ALM and the
zero-width (non-)joiners used by Arabic, Persian, Indic scripts and emoji.

URLs: only absolute ``http``/``https`` URLs with a host and no user name or password
are accepted. A non-ASCII host is IDNA-encoded (``bücher.de`` -> ``xn--bcher-kva.de``)
and other characters URIs do not allow are percent-encoded as UTF-8, so every URL in
a feed is a plain ASCII URI.
"""

from __future__ import annotations

import html
import re

# Characters outside XML 1.0's Char production (#x9 | #xA | #xD | [#x20-#xD7FF] |
# [#xE000-#xFFFD] | [#x10000-#x10FFFF]); lxml raises on them at serialisation. Written
# as the complement: the negated class takes ~9 ms to compile, a tenth of start-up.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Invisible characters removed from text (see the module docstring); C1 controls too.
_INVISIBLE = re.compile("[\u0080-\u009f\u200b\u2060\ufeff\u180e\u202a-\u202e\u2066-\u2069]")
# Script and style elements take their content with them, like strip_html.
_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*>")
# What is left of an unclosed tag: '<' right before a name, '/', '!' or '?'.
_TAG_OPEN = re.compile(r"<+(?=[A-Za-z/!?])")
_SPACE = re.compile(r"\s+")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?$")
# RFC 3986 unreserved and reserved characters plus '%': everything else is encoded.
_URI_SAFE = "!#$%&'()*+,-./:;=?@[]_~"

# Text that plain_text would only fold spaces in: no '<' or '&' (no markup, no
# entities), nothing XML forbids and nothing invisible.
_NEEDS_CLEANING = re.compile("[<&]|" + _XML_INVALID.pattern + "|" + _INVISIBLE.pattern)
# A URL http_url would keep byte for byte: lower-case http(s) scheme, a lower-case
# ASCII host name as _HOST accepts it, no user or port, then only URI characters.
_PLAIN_URL = re.compile(
    r"https?://(?=[a-z0-9.-]{1,253}(?:[/?#]|\Z))[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*"
    r"(?:[/?#][A-Za-z0-9!#$%&'()*+,\-./:;=?@\[\]_~]*)?"
)

MAX_URL_LENGTH = 2048
"""Longest URL accepted (characters, after encoding); longer ones are dropped."""


def xml_safe(text: str) -> str:
    """Drop characters that cannot appear in an XML 1.0 document."""
    return _XML_INVALID.sub("", text)


def printable(text: str) -> str:
    """``text`` safe for a terminal, a log or JSON: no lone surrogates, no control characters."""
    if text.isprintable():
        return text  # the usual case, in one C call (surrogates and controls are not printable)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}" for ch in text)


def one_line(text: str, limit: int = 300) -> str:
    """``text`` folded onto one line (runs of white space, newlines included, made one space), at most ``limit`` characters.

    For a library's error text quoted in a message: the CLI's errors are one line each.
    """
    return " ".join(text.split())[:limit]


def _strip_markup(text: str) -> str:
    text = _SCRIPT_STYLE.sub(" ", text)
    text = _COMMENT.sub(" ", text)
    return _TAG.sub("", text)


def plain_text(value: str) -> str:
    """Markup stripped, entities decoded once, invalid and invisible characters dropped, spaces folded."""
    if not _NEEDS_CLEANING.search(value):
        # What the steps below leave of such text. str.split() splits at exactly the
        # characters r"\s" matches (both ask Py_UNICODE_ISSPACE), five times faster.
        return " ".join(value.split())
    text = html.unescape(_strip_markup(value))
    # Invisible characters go first so that they cannot hide a '<' from the tag check.
    text = _INVISIBLE.sub("", xml_safe(text))
    # Decoding may have produced markup; it is removed, never decoded again.
    text = _TAG_OPEN.sub("", _strip_markup(text))
    return _SPACE.sub(" ", text).strip()
