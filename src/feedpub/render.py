"""The render step: Selections -> feed files (RSS 2.0, Atom 1.0) and the OPML index.

Output is a pure function of the selections and the site settings: every date comes
from the data, entries are added in order, so the same input gives the same bytes.
feedgen's quirks are handled in :mod:`feedpub.feedgen_fix`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from typing import TYPE_CHECKING

from feedpub import __version__
from feedpub.clean import xml_safe
from feedpub.config import Site
from feedpub.content import item_html
from feedpub.directory import CONTENT_TYPE as DIRECTORY_TYPE
from feedpub.directory import DirectoryEntry, render_directory
from feedpub.media import guess_image_type
from feedpub.records import Article, OutputFile, Selection
from feedpub.topics import topic_key

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

    from feedpub.media import ProbeResult

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
OPML_TYPE = "text/x-opml; charset=utf-8"
EXTENSIONS = {"rss": ".xml", "atom": ".atom", "json": ".json"}
JSON_TYPE = "application/feed+json; charset=utf-8"
CONTENT_TYPES = {"rss": RSS_TYPE, "atom": ATOM_TYPE, "json": JSON_TYPE}

def image_type(url: str) -> str:
    """The media type of an image URL from its extension (see :func:`feedpub.media.guess_image_type`)."""
    return guess_image_type(url)


def feed_files(slug: str, formats: Sequence[str]) -> list[str]:
    """The file names one topic's feeds get."""
    return [slug + EXTENSIONS[f] for f in formats if f in EXTENSIONS]


def _feed_title(sel: Selection, site: Site) -> str:
    return f"{site.title}: {sel.topic.name}"


def _generator(sel: Selection, site: Site, self_url: str, fmt: str) -> FeedGenerator:
    # feedgen (and lxml) load on the first feed rendered: a run that renders nothing
    # (every feed unchanged) starts faster without them.
    from feedgen.feed import FeedGenerator

    from feedpub import feedgen_fix

    fg = FeedGenerator()
    feedgen_fix.register(fg)
    topic = sel.topic
    home = site.topic_home(topic.slug)
    fg.id(self_url)
    fg.title(xml_safe(_feed_title(sel, site)))
    fg.description(xml_safe(topic.description or f"{topic.name} news from {site.title}"))
    fg.subtitle(xml_safe(topic.description or f"{topic.name} news from {site.title}"))
    # feedgen's RSS <link> is the last link added: self first, the site page after.
    fg.link(href=self_url, rel="self", type=CONTENT_TYPES[fmt].split(";")[0])
    fg.link(href=home, rel="alternate", type="text/html")
    return fg


def _add_entry(
    fg: FeedGenerator,
    article: Article,
    fmt: str,
    probe: Callable[[str], ProbeResult | None] | None,
    names: Mapping[str, str],
) -> None:
    from feedpub import feedgen_fix  # loaded with feedgen, see _generator

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
            kind, length = (known.type, known.length) if known else (image_type(img.url), 0)
            # FeedEntry.enclosure also adds a broken Atom link: use it for RSS only.
            if fmt == "rss":
                fe.enclosure(img.url, str(length), kind)
            else:
                fe.feedpub.add(img.url, "enclosure", type=kind, length=length)
        feedgen_fix.add_media(fe, img.url, img.width, img.height, thumbnail=i == 0)
    if fmt == "atom":
        for rel in article.related:
            fe.feedpub.add(rel.url, "related", title=rel.title, type="text/html")


def render_feed(
    sel: Selection,
    site: Site,
    fmt: str,
    *,
    hubs: Sequence[str] = (),
    probe: Callable[[str], ProbeResult | None] | None = None,
    topic_names: Mapping[str, str] | None = None,
) -> OutputFile:
    """One topic's feed in one format ("rss", "atom" or "json") as an OutputFile.

    ``probe`` gives an image URL's probed type and length (None: unknown);
    ``topic_names`` maps topic keys to display names for the items' categories.
    """
    name = sel.topic.slug + EXTENSIONS[fmt]
    self_url = site.feeds_url() + name
    if fmt == "json":
        from feedpub.render_json import render_json_feed  # it imports feedpub.probe (requests)

        data = render_json_feed(
            sel,
            site_title=site.title,
            site_link=site.topic_home(sel.topic.slug),
            feed_url=self_url,
            language=site.language,
            content_html=item_html,
            probed=probe,
        )
        return OutputFile(name=name, data=data, content_type=JSON_TYPE, group=0)
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
    data = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return OutputFile(name=name, data=data, content_type=CONTENT_TYPES[fmt], group=0)


def quoteattr(value: str) -> str:
    """``value`` as a quoted XML attribute, as :func:`xml.sax.saxutils.quoteattr` writes it.

    Here because importing xml.sax.saxutils loads urllib.request (~10 ms of every run).
    Per its documentation: &, < and > escaped, newline, CR and tab as character
    references, double quotes unless the value has only those, then single quotes.
    """
    value = value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    value = value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


def render_opml(selections: Sequence[Selection], site: Site, formats: Sequence[str], updated: datetime) -> OutputFile:
    """``index.opml``: every topic feed (title, xmlUrl, htmlUrl), for readers' import."""
    fmt = "rss" if "rss" in formats else formats[0]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(site.title)} feeds</title>",
        f"    <dateModified>{updated.strftime('%a, %d %b %Y %H:%M:%S +0000')}</dateModified>",
        "  </head>",
        "  <body>",
    ]
    for sel in selections:
        lines.append(
            "    <outline type=\"rss\""
            f" text={quoteattr(xml_safe(sel.topic.name))}"
            f" title={quoteattr(xml_safe(_feed_title(sel, site)))}"
            f" xmlUrl={quoteattr(site.feeds_url() + sel.topic.slug + EXTENSIONS[fmt])}"
            f" htmlUrl={quoteattr(site.topic_home(sel.topic.slug))}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return OutputFile(name="index.opml", data="\n".join(lines).encode("utf-8"), content_type=OPML_TYPE, group=1)


def render_index_page(selections: Sequence[Selection], site: Site, formats: Sequence[str], updated: datetime) -> OutputFile:
    """``index.html``: a page listing every topic's feeds, with autodiscovery links."""
    entries = [
        DirectoryEntry(
            name=sel.topic.name,
            slug=sel.topic.slug,
            description=sel.topic.description,
            items=len(sel.items),
            newest=sel.items[0].published_at if sel.items else None,
            files=tuple(feed_files(sel.topic.slug, formats)),
        )
        for sel in selections
    ]
    data = render_directory(entries, site_title=site.title, site_link=site.home(), generated=updated)
    return OutputFile(name="index.html", data=data, content_type=DIRECTORY_TYPE, group=1)


def _text(value: str) -> str:
    return xml_safe(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
