"""``index.opml``: every topic feed, for readers' import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feedpub.config import Site
from feedpub.formats import EXTENSIONS, OPML
from feedpub.records import OutputFile, Picked, Selection
from feedpub.select_extras import TOP_FOLDER
from feedpub.text import xml_safe
from feedpub.times import rfc822


def _feed_title(sel: Picked | Selection, site: Site) -> str:
    return f"{site.title}: {sel.topic.name}"


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


def render_opml(
    selections: Sequence[Picked | Selection],
    site: Site,
    formats: Sequence[str],
    updated: datetime,
    *,
    top: Sequence[Picked | Selection] = (),
) -> OutputFile:
    """``index.opml``: every feed (title, xmlUrl, htmlUrl) for readers' import: the topics'
    and the site-wide feed (as ``selections`` gives them), then the top-stories feeds."""
    fmt = "rss" if "rss" in formats else formats[0]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(site.title)} feeds</title>",
        f"    <dateModified>{rfc822(updated)}</dateModified>",
        "  </head>",
        "  <body>",
    ]
    listed = [(sel, sel.topic.name, _feed_title(sel, site), sel.topic.slug) for sel in selections]
    listed += [
        (sel, f"{sel.topic.name}, top stories", f"{_feed_title(sel, site)}, top stories", f"{TOP_FOLDER}/{sel.topic.slug}")
        for sel in top
    ]
    for sel, text, title, path in listed:
        lines.append(
            '    <outline type="rss"'
            f" text={quoteattr(xml_safe(text))}"
            f" title={quoteattr(xml_safe(title))}"
            f" xmlUrl={quoteattr(site.feeds_url() + path + EXTENSIONS[fmt])}"
            f" htmlUrl={quoteattr(site.topic_home(sel.topic.slug))}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return OutputFile(name="index.opml", data="\n".join(lines).encode("utf-8"), content_type=OPML.content_type, group=1)


def _text(value: str) -> str:
    return xml_safe(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
