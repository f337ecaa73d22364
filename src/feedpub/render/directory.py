"""The feed directory: a static ``index.html`` listing every topic feed, for people.

Readers find feeds through it (``<link rel="alternate">`` autodiscovery for every feed)
and people subscribe from it. One self-contained file: inline CSS, no JavaScript, no
external assets, usable on a phone. Its bytes depend only on the arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from urllib.parse import quote

from feedpub.config import Site
from feedpub.formats import FEEDS, HTML, OPML, feed_files
from feedpub.records import HeldBack, OutputFile, Picked, Selection
from feedpub.times import MONTH_NAMES, rfc3339, utc
from feedpub.urls import http_url

# (file suffix, MIME type, label): the formats a topic can have, in display order.
_FORMATS = tuple((f.extension, f.media_type, f.label) for f in FEEDS)


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One topic as the directory shows it; ``files`` are the feed file names published for it.

    ``held`` says why an empty feed is empty (its articles held back, by reason).
    """

    name: str
    slug: str
    description: str | None
    items: int
    newest: datetime | None
    files: tuple[str, ...]
    held: HeldBack = field(default_factory=HeldBack)


def _span(age: timedelta) -> str:
    """``7 days``, ``1 day``, ``36 hours``: a ``max_age_days`` as a reader says it."""
    hours = age.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return "1 day" if days == 1 else f"{days:,} days"
    if hours == 1:
        return "hour"
    return f"{hours:g} hours" if hours >= 1 else f"{age.total_seconds() / 60:g} minutes"


def empty_reason(held: HeldBack) -> str:
    """Why a topic's feed has no item, for its card: from the articles its rules held back.

    "No articles yet" when there are none; the age and quality rules when they held
    articles back ("No articles with quality ≥ 50 in the last 7 days"); else what
    held the rest back (dated in the future, not published).
    """
    age = held.max_age if held.too_old else None
    quality = f" with quality ≥ {held.min_quality:g}" if held.below_quality else ""
    if age is not None:
        return f"No articles{quality} in the last {_span(age)}"
    if quality:
        return f"No articles{quality} yet"
    if held.future and held.future >= held.unpublished:
        return "No articles due yet"
    if held.unpublished:
        return "No published articles yet"
    return "No articles yet"


def _time(moment: datetime) -> str:
    """A ``<time>`` element with a locale-free date (the page must not depend on the host)."""
    day = utc(moment)
    return f'<time datetime="{rfc3339(moment)}">{day.day} {MONTH_NAMES[day.month - 1]} {day.year}</time>'


def _href(name: str) -> str:
    """A relative link to a published file, so the page works under any base URL."""
    return escape(quote(name, safe="/-_.~"))


def _feeds(entry: DirectoryEntry) -> list[tuple[str, str, str]]:
    """(file name, MIME type, label) of each feed the topic has, in display order."""
    present = set(entry.files)
    return [(entry.slug + suffix, mime, label) for suffix, mime, label in _FORMATS if entry.slug + suffix in present]


_CSS = """
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1b1f24;--muted:#5b6470;
--line:#dde1e6;--accent:#0b5cad;--rss:#c2410c;--atom:#4d7c0f;--json:#6d28d9}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1a1e24;--text:#e6e8eb;
--muted:#9aa3ad;--line:#2c323a;--accent:#6cb0f5;--rss:#fb923c;--atom:#a3e635;--json:#c4b5fd}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);
font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
.wrap{max-width:64rem;margin:0 auto;padding:1.5rem 1rem 2rem}
header{margin-bottom:1.5rem}
h1{font-size:1.75rem;line-height:1.2;margin:0 0 .5rem;overflow-wrap:anywhere}
.lede{margin:0;color:var(--muted);max-width:40rem}
a{color:var(--accent)}
.topics{list-style:none;margin:0;padding:0;display:grid;gap:1rem;
grid-template-columns:repeat(auto-fill,minmax(min(100%,18rem),1fr))}
.topic{background:var(--card);border:1px solid var(--line);border-radius:.75rem;
padding:1rem 1.1rem;display:flex;flex-direction:column;gap:.4rem;min-width:0}
.topic h2{font-size:1.15rem;line-height:1.3;margin:0;overflow-wrap:anywhere}
.desc{margin:0;overflow-wrap:anywhere}
.meta{margin:0;color:var(--muted);font-size:.9rem}
.links{margin:auto 0 0;padding-top:.4rem;display:flex;flex-wrap:wrap;gap:.5rem}
.links a{display:inline-block;padding:.35rem .8rem;border-radius:999px;border:1px solid currentColor;
font-size:.9rem;font-weight:600;text-decoration:none;min-height:2rem}
.links a:hover,.links a:focus{text-decoration:underline}
.links .rss{color:var(--rss)}.links .atom{color:var(--atom)}.links .json{color:var(--json)}
.empty{color:var(--muted)}
footer{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
footer p{margin:.25rem 0}
""".strip()


def _entry_html(entry: DirectoryEntry) -> str:
    parts = [f'<li class="topic" id="{escape(entry.slug)}">', f"<h2>{escape(entry.name)}</h2>"]
    if entry.description:
        parts.append(f'<p class="desc">{escape(entry.description)}</p>')
    if entry.items:
        count = "1 article" if entry.items == 1 else f"{entry.items:,} articles"
        newest = f" · newest {_time(entry.newest)}" if entry.newest else ""
        parts.append(f'<p class="meta">{count}{newest}</p>')
    else:
        parts.append(f'<p class="meta">{escape(empty_reason(entry.held))}</p>')
    links = [
        f'<a class="{label.split()[0].lower()}" href="{_href(name)}" type="{mime}" '
        f'aria-label="{escape(entry.name)} as {label}">{label}</a>'
        for name, mime, label in _feeds(entry)
    ]
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
) -> bytes:
    """The ``index.html`` listing ``entries`` in the order given, UTF-8.

    ``generated`` is shown as the update date; pass the newest item's date (not the
    clock) so an unchanged site gives unchanged bytes.
    """
    title = escape(site_title)
    head = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} · feeds</title>",
    ]
    for entry in entries:
        for name, mime, label in _feeds(entry):
            head.append(f'<link rel="alternate" type="{mime}" title="{escape(f"{entry.name} ({label})")}" href="{_href(name)}">')
    head += [f"<style>\n{_CSS}\n</style>", "</head>"]

    opml = _href(opml_name)
    # Only a URL a feed may carry: a "javascript:" site link would run on click.
    home = f' · <a href="{escape(site_link)}">{title}</a>' if http_url(site_link) is not None else ""
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
        f'<p>Updated {_time(generated)} · <a href="{opml}" type="{OPML.media_type}">OPML</a>{home}</p>',
        "</footer>",
        "</div>",
        "</body>",
        "</html>",
    ]
    return ("\n".join(head + body) + "\n").encode("utf-8", "replace")


def render_index_page(
    selections: Sequence[Picked | Selection], site: Site, formats: Sequence[str], updated: datetime
) -> OutputFile:
    """``index.html``: a page listing every topic's feeds, with autodiscovery links."""
    entries = [
        DirectoryEntry(
            name=sel.topic.name,
            slug=sel.topic.slug,
            description=sel.topic.description,
            items=len(sel.items),
            newest=sel.items[0].published_at if sel.items else None,
            files=tuple(feed_files(sel.topic.slug, formats)),
            held=sel.held if isinstance(sel, Picked) else HeldBack(),
        )
        for sel in selections
    ]
    data = render_directory(entries, site_title=site.title, site_link=site.home(), generated=updated)
    return OutputFile(name="index.html", data=data, content_type=HTML.content_type, group=1)
