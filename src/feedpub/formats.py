"""Every kind of file feedpub writes: extension, Content-Type and label, in one table.

Render, the directory page, the preview server and publishing all read this table, so
a file is served with the same type wherever it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Format:
    """One kind of output file."""

    key: str
    """The name in the config's ``formats`` list (feeds) or an internal name."""
    extension: str
    media_type: str
    """The MIME type without parameters (autodiscovery links, ``type`` attributes)."""
    label: str
    """What people call it (the directory page's links)."""

    @property
    def content_type(self) -> str:
        """The HTTP Content-Type: every file feedpub writes is UTF-8."""
        return f"{self.media_type}; charset=utf-8"


RSS = Format("rss", ".xml", "application/rss+xml", "RSS")
ATOM = Format("atom", ".atom", "application/atom+xml", "Atom")
JSON_FEED = Format("json", ".json", "application/feed+json", "JSON Feed")
OPML = Format("opml", ".opml", "text/x-opml", "OPML")
HTML = Format("html", ".html", "text/html", "web page")

FEEDS = (RSS, ATOM, JSON_FEED)
"""The feed formats, in the order the directory page lists them."""
BY_KEY = {f.key: f for f in (*FEEDS, OPML, HTML)}
BY_EXTENSION = {f.extension: f for f in (*FEEDS, OPML, HTML)}

UNKNOWN_CONTENT_TYPE = "application/octet-stream"
"""The Content-Type sent for a file of no kind in this table (none should reach a target)."""

EXTENSIONS = {f.key: f.extension for f in FEEDS}
CONTENT_TYPES = {f.key: f.content_type for f in FEEDS}


def media_type(key: str) -> str:
    """The MIME type of a format by its key (``"rss"`` -> ``application/rss+xml``)."""
    return BY_KEY[key].media_type


def content_type_of(name: str) -> str | None:
    """The Content-Type of a file feedpub writes, by its name's extension; None if it writes no such file."""
    dot = name.rfind(".")
    found = BY_EXTENSION.get(name[dot:]) if dot >= 0 else None
    return found.content_type if found else None


def feed_files(slug: str, formats: Sequence[str]) -> list[str]:
    """The file names one topic's feeds get."""
    return [slug + EXTENSIONS[f] for f in formats if f in EXTENSIONS]


ARCHIVE_FORMATS = ("rss", "atom")
"""The formats archive documents are written in: JSON Feed has no way to link archives (RFC 5005)."""


def formats_of(kind: str, formats: Sequence[str]) -> list[str]:
    """The configured ``formats`` a feed document of this kind (``"feed"``, ``"top"``, ``"archive"``) is written in."""
    return [f for f in formats if f in ARCHIVE_FORMATS] if kind == "archive" else [f for f in formats if f in EXTENSIONS]
