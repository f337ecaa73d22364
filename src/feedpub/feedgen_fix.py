"""Everything feedpub does about feedgen 1.0.0's bugs and habits, in one place.

- Atom entry links lose their attributes (feedgen issues #135 and #143): a
  ``rel="enclosure"`` or ``rel="related"`` link comes out as a bare alternate link, so
  readers take the image as the entry's link. :class:`EntryLinks` writes those links
  itself from an extension, and feedpub never passes them to ``FeedEntry.link``.
- A feed-level ``fg.link`` becomes the RSS channel ``<link>`` when added last, and
  ``rel="hub"`` is written only in Atom: :class:`FeedLinks` writes hub links itself, as
  ``atom:link`` in RSS (the form WebSub asks for) and ``link`` in Atom.
- The media extension wraps elements in ``<media:group>`` unless ``group=None``, and
  wants string attributes: :func:`add_media` does both.
- Dates default to ``now()``; RSS dates are formatted under a process-wide
  ``setlocale`` (not thread-safe): the render step sets every date from the data and
  renders in one thread.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

ATOM_NS = "http://www.w3.org/2005/Atom"


class FeedLinks(BaseExtension):  # type: ignore[misc]
    """Feed-level WebSub hub links, in both formats."""

    def __init__(self) -> None:
        self.hubs: list[str] = []

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        for hub in self.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=hub, rel="hub")
        return feed

    def extend_atom(self, feed: Any) -> Any:
        for hub in self.hubs:
            xml_elem("link", feed, href=hub, rel="hub")
        return feed


class EntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """Atom entry links with all their attributes (``rel``, ``type``, ``length``, ``title``)."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def add(self, href: str, rel: str, **attrs: str | int | None) -> None:
        link = {"href": href, "rel": rel}
        link.update({k: str(v) for k, v in attrs.items() if v is not None and v != ""})
        self.links.append(link)

    def extend_atom(self, entry: Any) -> Any:
        for link in self.links:
            xml_elem("link", entry, **link)
        return entry


def register(fg: Any) -> None:
    """Register feedpub's extensions (and the media one) on a FeedGenerator."""
    fg.load_extension("media")
    fg.load_extension("dc")
    fg.register_extension("feedpub", FeedLinks, EntryLinks)


def add_media(fe: Any, url: str, width: int | None, height: int | None, *, thumbnail: bool) -> None:
    """``media:content`` (and ``media:thumbnail``) straight under the item, no group."""
    attrs = {k: str(v) for k, v in (("width", width), ("height", height)) if v}
    fe.media.content(url=url, medium="image", group=None, **attrs)
    if thumbnail:
        fe.media.thumbnail(url=url, group=None, **attrs)
