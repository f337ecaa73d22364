"""The feed directory: a static ``index.html`` listing every topic feed, for people.

Readers find feeds through it (``<link rel="alternate">`` autodiscovery for every feed)
and people subscribe from it. Each topic's card shows its image, description and
newest headlines, and links to the topic's page (:mod:`feedpub.render.page`). One
self-contained file: its one inline style allowed by hash in a Content-Security-Policy
that forbids any script, no external assets but the http(s) images, usable on a phone.
Every value is escaped as :mod:`feedpub.render.html` says. Its bytes depend only on the
arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from feedpub.config import Site
from feedpub.formats import FEEDS, HTML, OPML, feed_files
from feedpub.records import Article, HeldBack, Image, OutputFile, Picked, Selection
from feedpub.render.html import BASE_CSS, csp, empty_reason, external, img_tag, local, text, time_tag
from feedpub.render.images import topic_image
from feedpub.render.page import page_name, topic_description

# (file suffix, MIME type, label): the formats a topic can have, in display order.
_FORMATS = tuple((f.extension, f.media_type, f.label) for f in FEEDS)

HEADLINES = 3
"""Newest headlines shown on each topic's card."""


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One topic as the directory shows it; ``files`` are the feed file names published for it.

    ``held`` says why an empty feed is empty (its articles held back, by reason);
    ``page`` is the topic page's file name (None: no page); ``headlines`` its newest
    articles, newest first; ``image`` the topic's picture.
    """

    name: str
    slug: str
    description: str | None
    items: int
    newest: datetime | None
    files: tuple[str, ...]
    held: HeldBack = field(default_factory=HeldBack)
    page: str | None = None
    image: Image | None = None
    headlines: tuple[Article, ...] = ()


def _feeds(entry: DirectoryEntry) -> list[tuple[str, str, str]]:
    """(file name, MIME type, label) of each feed the topic has, in display order."""
    present = set(entry.files)
    return [(entry.slug + suffix, mime, label) for suffix, mime, label in _FORMATS if entry.slug + suffix in present]


_CSS = (
    BASE_CSS
    + """
.topics{list-style:none;margin:0;padding:0;display:grid;gap:1rem;
grid-template-columns:repeat(auto-fill,minmax(min(100%,18rem),1fr))}
.topic{background:var(--card);border:1px solid var(--line);border-radius:.75rem;
padding:1rem 1.1rem;display:flex;flex-direction:column;gap:.4rem;min-width:0}
.topic .topic-image{width:100%;aspect-ratio:16/9;object-fit:cover;border-radius:.5rem}
.topic h2{font-size:1.15rem;line-height:1.3;margin:0;overflow-wrap:anywhere}
.desc{margin:0;overflow-wrap:anywhere}
.headlines{margin:.2rem 0 0;padding-left:1.1rem;font-size:.95rem}
.headlines li{overflow-wrap:anywhere;margin:.15rem 0}
.links{margin:auto 0 0;padding-top:.4rem;display:flex;flex-wrap:wrap;gap:.5rem}
.links a{display:inline-block;padding:.35rem .8rem;border-radius:999px;border:1px solid currentColor;
font-size:.9rem;font-weight:600;text-decoration:none;min-height:2rem}
.links a:hover,.links a:focus{text-decoration:underline}
.links .page{color:var(--accent)}
""".rstrip()
)


def _headline(article: Article) -> str:
    href = external(article.url)
    title = text(article.title)
    return f'<li><a href="{href}">{title}</a></li>' if href else f"<li>{title}</li>"


def _entry_html(entry: DirectoryEntry) -> str:
    parts = [f'<li class="topic" id="{text(entry.slug)}">']
    if entry.image is not None and (img := img_tag(entry.image, "topic-image", alt="", lazy=True)):
        parts.append(img)
    name = text(entry.name)
    parts.append(f'<h2><a href="{local(entry.page)}">{name}</a></h2>' if entry.page else f"<h2>{name}</h2>")
    if entry.description:
        parts.append(f'<p class="desc">{text(entry.description)}</p>')
    if entry.items:
        count = "1 article" if entry.items == 1 else f"{entry.items:,} articles"
        newest = f" · newest {time_tag(entry.newest)}" if entry.newest else ""
        parts.append(f'<p class="meta">{count}{newest}</p>')
    else:
        parts.append(f'<p class="meta">{text(empty_reason(entry.held))}</p>')
    if entry.headlines:
        parts.append('<ul class="headlines">' + "".join(_headline(a) for a in entry.headlines[:HEADLINES]) + "</ul>")
    links = [
        f'<a class="{label.split()[0].lower()}" href="{local(name)}" type="{mime}" '
        f'aria-label="{text(entry.name)} as {label}">{label}</a>'
        for name, mime, label in _feeds(entry)
    ]
    if entry.page:
        links.append(
            f'<a class="page" href="{local(entry.page)}" type="{HTML.media_type}" aria-label="{text(entry.name)}: the page">'
            "View page</a>"
        )
    if links:
        parts.append('<p class="links">' + "".join(links) + "</p>")
    parts.append("</li>")
    return "\n".join(parts)


def render_directory(
    entries: Sequence[DirectoryEntry],
    *,
    site_title: str,
    site_link: str,
    opml_name: str = "index.opml",
    generated: datetime,
    language: str = "en",
) -> bytes:
    """The ``index.html`` listing ``entries`` in the order given, UTF-8.

    ``generated`` is shown as the update date; pass the newest item's date (not the
    clock) so an unchanged site gives unchanged bytes.
    """
    title = text(site_title)
    head = [
        "<!doctype html>",
        f'<html lang="{text(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        csp(styles=[_CSS]),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} · feeds</title>",
    ]
    for entry in entries:
        for name, mime, label in _feeds(entry):
            head.append(f'<link rel="alternate" type="{mime}" title="{text(f"{entry.name} ({label})")}" href="{local(name)}">')
    head += [f"<style>{_CSS}</style>", "</head>"]

    opml = local(opml_name)
    # Only a URL a feed may carry: a "javascript:" site link would run on click.
    home = external(site_link)
    home_link = f' · <a href="{home}">{title}</a>' if home is not None else ""
    body = [
        "<body>",
        '<div class="wrap">',
        "<header>",
        f"<h1>{title}</h1>",
        (
            '<p class="lede">News feeds by topic. Copy a feed link into your feed reader, '
            f'or import <a href="{opml}" type="{OPML.media_type}">all feeds at once (OPML)</a>.</p>'
        ),
        "</header>",
        "<main>",
    ]
    if entries:
        body.append('<ul class="topics">')
        body.extend(_entry_html(entry) for entry in entries)
        body.append("</ul>")
    else:
        body.append('<p class="empty">No topics yet.</p>')
    body += [
        "</main>",
        "<footer>",
        f'<p>Updated {time_tag(generated)} · <a href="{opml}" type="{OPML.media_type}">OPML</a>{home_link}</p>',
        "</footer>",
        "</div>",
        "</body>",
        "</html>",
    ]
    return ("\n".join(head + body) + "\n").encode("utf-8", "replace")


def render_index_page(
    selections: Sequence[Picked | Selection],
    site: Site,
    formats: Sequence[str],
    updated: datetime,
    *,
    headlines: Mapping[str, tuple[Article, ...]] | None = None,
    pages: bool = True,
) -> OutputFile:
    """``index.html``: a page listing every topic's feeds, with autodiscovery links.

    ``headlines`` maps a feed's slug to its newest articles (full records: a Picked
    feed's items may be references without a title); ``pages``: link each topic's page.
    """
    entries = [
        DirectoryEntry(
            name=sel.topic.name,
            slug=sel.topic.slug,
            description=topic_description(sel.topic, site),
            items=len(sel.items),
            newest=sel.items[0].published_at if sel.items else None,
            files=tuple(feed_files(sel.topic.slug, formats)),
            held=sel.held if isinstance(sel, Picked) else HeldBack(),
            page=page_name(sel.topic.slug) if pages else None,
            image=topic_image(sel.topic, site),
            headlines=(headlines or {}).get(sel.topic.slug, ()),
        )
        for sel in selections
    ]
    data = render_directory(entries, site_title=site.title, site_link=site.home(), generated=updated, language=site.language)
    return OutputFile(name="index.html", data=data, content_type=HTML.content_type, group=1)
