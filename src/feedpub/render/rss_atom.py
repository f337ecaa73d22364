"""RSS 2.0 and Atom 1.0 feeds through feedgen, and every feedgen workaround, in this one module.

Output is a pure function of the selections and the site settings: every date comes
from the data, entries are added in order, so the same input gives the same bytes.

feedgen 1.0.0's bugs and habits, and what is done about them:

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
- ``feedgen.util`` uses ``lxml.etree`` without importing it, so it fails when it is
  imported before ``feedgen.feed``: this module imports ``lxml.etree`` first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import lxml.etree  # noqa: F401 - feedgen.util uses lxml.etree without importing it (see above)
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

from feedpub import __version__
from feedpub.config import Site
from feedpub.formats import HTML, media_type
from feedpub.records import Article, Selection
from feedpub.render.images import guess_image_type
from feedpub.render.item_html import item_html
from feedpub.text import xml_safe
from feedpub.topics import topic_key

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

    from feedpub.render.images import ProbeResult


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


def _feed_title(sel: Selection, site: Site) -> str:
    return f"{site.title}: {sel.topic.name}"


def _generator(sel: Selection, site: Site, self_url: str, fmt: str) -> FeedGenerator:
    # feedgen (and lxml) load on the first feed rendered: a run that renders nothing
    # (every feed unchanged) starts faster without them.
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    register(fg)
    topic = sel.topic
    home = site.topic_home(topic.slug)
    fg.id(self_url)
    fg.title(xml_safe(_feed_title(sel, site)))
    fg.description(xml_safe(topic.description or f"{topic.name} news from {site.title}"))
    fg.subtitle(xml_safe(topic.description or f"{topic.name} news from {site.title}"))
    # feedgen's RSS <link> is the last link added: self first, the site page after.
    fg.link(href=self_url, rel="self", type=media_type(fmt))
    fg.link(href=home, rel="alternate", type=HTML.media_type)
    return fg


def _add_entry(
    fg: FeedGenerator,
    article: Article,
    fmt: str,
    probe: Callable[[str], ProbeResult | None] | None,
    names: Mapping[str, str],
) -> None:
    fe = fg.add_entry(order="append")
    fe.id(article.url)
    fe.guid(article.url, permalink=True)
    fe.title(article.title)
    fe.link(href=article.url, rel="alternate")
    fe.published(article.published_at)
    fe.updated(article.published_at)
    if article.excerpt:
        fe.summary(article.excerpt)
    fe.content(item_html(article), type="html")
    if article.provider and article.provider.name:
        uri = f"https://{article.provider.domain}/" if article.provider.domain else None
        fe.author(name=article.provider.name, uri=uri) if uri else fe.author(name=article.provider.name)
        if fmt == "rss":
            fe.dc.dc_creator(article.provider.name)
    for name in article.topics:
        # Categories use each topic's display name, whatever spelling the file used.
        fe.category(term=names.get(topic_key(name), name))
    for i, img in enumerate(article.images):
        if i == 0:
            known = probe(img.url) if probe else None
            kind, length = (known.type, known.length) if known else (guess_image_type(img.url), 0)
            # FeedEntry.enclosure also adds a broken Atom link: use it for RSS only.
            if fmt == "rss":
                fe.enclosure(img.url, str(length), kind)
            else:
                fe.feedpub.add(img.url, "enclosure", type=kind, length=length)
        add_media(fe, img.url, img.width, img.height, thumbnail=i == 0)
    if fmt == "atom":
        for rel in article.related:
            fe.feedpub.add(rel.url, "related", title=rel.title, type=HTML.media_type)


def render_rss_atom(
    sel: Selection,
    site: Site,
    fmt: str,
    self_url: str,
    *,
    hubs: Sequence[str] = (),
    probe: Callable[[str], ProbeResult | None] | None = None,
    topic_names: Mapping[str, str] | None = None,
) -> bytes:
    """One topic's feed as RSS 2.0 (``fmt="rss"``) or Atom 1.0 (``"atom"``), as bytes."""
    fg = _generator(sel, site, self_url, fmt)
    fg.feedpub.hubs = list(hubs)
    fg.language(site.language)
    fg.generator("feedpub", __version__, "https://pypi.org/project/feedpub/")
    fg.author(name=site.author or site.title, uri=site.home())
    if site.logo:
        fg.logo(site.logo)
        fg.image(url=site.logo, title=_feed_title(sel, site), link=site.topic_home(sel.topic.slug))
    fg.updated(sel.updated)
    fg.lastBuildDate(sel.updated)
    for article in sel.items:
        _add_entry(fg, article, fmt, probe, topic_names or {})
    data: bytes = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return data
