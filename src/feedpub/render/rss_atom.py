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

import lxml.etree  # first: feedgen.util uses lxml.etree without importing it (see above)
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
FH_NS = "http://purl.org/syndication/history/1.0"
"""RFC 5005's namespace, of the ``fh:archive`` mark of archive documents."""


class FeedLinks(BaseExtension):  # type: ignore[misc]
    """Feed-level links feedgen cannot write: WebSub hubs and RFC 5005 archive links, in
    both formats, and the ``fh:archive`` mark (its namespace declared on the mark itself,
    so feeds without it keep their bytes)."""

    def __init__(self) -> None:
        self.hubs: list[str] = []
        self.links: list[tuple[str, str, str]] = []  # (rel, href, type)
        self.archive = False

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        for hub in self.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=hub, rel="hub")
        for rel, href, kind in self.links:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=href, rel=rel, type=kind)
        if self.archive:
            lxml.etree.SubElement(channel, f"{{{FH_NS}}}archive", nsmap={"fh": FH_NS})
        return feed

    def extend_atom(self, feed: Any) -> Any:
        for hub in self.hubs:
            xml_elem("link", feed, href=hub, rel="hub")
        for rel, href, kind in self.links:
            xml_elem("link", feed, href=href, rel=rel, type=kind)
        if self.archive:
            lxml.etree.SubElement(feed, f"{{{FH_NS}}}archive", nsmap={"fh": FH_NS})
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


def _generator(sel: Selection, site: Site, self_url: str, fmt: str, title: str) -> FeedGenerator:
    # feedgen (and lxml) load on the first feed rendered: a run that renders nothing
    # (every feed unchanged) starts faster without them.
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    register(fg)
    topic = sel.topic
    home = site.topic_home(topic.slug)
    fg.id(self_url)
    fg.title(xml_safe(title))
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
            # RSS keeps length="0" for an unknown size (the RSS Best Practices Profile);
            # in Atom the length is advisory (RFC 4287) and 0 a false hint: left out.
            if fmt == "rss":
                fe.enclosure(img.url, str(length), kind)
            else:
                fe.feedpub.add(img.url, "enclosure", type=kind, length=length or None)
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
    title: str | None = None,
    links: Sequence[tuple[str, str]] = (),
    archive: bool = False,
    image: str | None = None,
) -> bytes:
    """One topic's feed as RSS 2.0 (``fmt="rss"``) or Atom 1.0 (``"atom"``), as bytes.

    ``title`` replaces the feed's title; ``links`` are RFC 5005 ``(rel, URL)`` links to
    documents of the same format; ``archive`` marks an archive document; ``image`` is
    the topic's image (RSS channel ``<image>``, Atom ``<logo>``). ``site.favicon`` is the
    Atom ``<icon>`` (RSS 2.0 has no such element).
    """
    title = title or f"{site.title}: {sel.topic.name}"
    fg = _generator(sel, site, self_url, fmt, title)
    fg.feedpub.hubs = list(hubs)
    fg.feedpub.links = [(rel, href, media_type(fmt)) for rel, href in links]
    fg.feedpub.archive = archive
    fg.language(site.language)
    fg.generator("feedpub", __version__, "https://pypi.org/project/feedpub/")
    fg.author(name=site.author or site.title, uri=site.home())
    if image:
        fg.logo(image)
        fg.image(url=image, title=xml_safe(title), link=site.topic_home(sel.topic.slug))
    if site.favicon:
        fg.icon(site.favicon)  # feedgen writes it in Atom only: RSS 2.0 has no icon element
    fg.updated(sel.updated)
    fg.lastBuildDate(sel.updated)
    for article in sel.items:
        _add_entry(fg, article, fmt, probe, topic_names or {})
    data: bytes = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return data
