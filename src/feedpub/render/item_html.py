"""The HTML body of a feed item: lead image, excerpt and the related coverage list.

Built from already-cleaned records with every value escaped; only http(s) URLs ever
reach an ``href`` or ``src`` (the parse step dropped the others). As a second,
independent line of defence the result goes through nh3 (the ammonia HTML sanitiser)
with an explicit allow-list, so a bug upstream still cannot put a script, an event
handler, a style or a non-http(s) link in front of a subscriber.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

import nh3

from feedpub.records import Article
from feedpub.urls import HTTP_SCHEMES, http_url

ALLOWED_TAGS = frozenset({"p", "img", "ul", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "width", "height", "alt"}}
ALLOWED_URL_SCHEMES = HTTP_SCHEMES
_URL_ATTRIBUTES = {"href", "src"}


def _only_absolute_urls(tag: str, attribute: str, value: str) -> str | None:
    # nh3 checks the scheme of absolute URLs but lets relative ones through.
    if attribute in _URL_ATTRIBUTES:
        return value if http_url(value) == value else None
    return value


def sanitise(fragment: str) -> str:
    """``fragment`` with every tag, attribute and URL outside the allow-list removed."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_only_absolute_urls,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        strip_comments=True,
        # No rel="noopener noreferrer" added to links: only allow-listed attributes.
        link_rel=None,
    )


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


@lru_cache(maxsize=4096)
def item_html(article: Article) -> str:
    """The item's HTML content, identical in RSS ``content:encoded`` and Atom ``content``.

    Remembered per article: one article is in the RSS, Atom and JSON feed of each of
    its topics and of the site feed, and sanitising is the costly part of rendering.
    """
    parts: list[str] = []
    if article.images:
        img = article.images[0]
        size = "".join(f' {name}="{value}"' for name, value in (("width", img.width), ("height", img.height)) if value)
        alt = img.title or article.title
        parts.append(f'<p><img src="{_attr(img.url)}"{size} alt="{_attr(alt)}"></p>')
    if article.excerpt:
        parts.append(f"<p>{escape(article.excerpt, quote=False)}</p>")
    if article.related:
        items = []
        for rel in article.related:
            who = f" ({escape(rel.provider.name, quote=False)})" if rel.provider and rel.provider.name else ""
            items.append(f'<li><a href="{_attr(rel.url)}">{escape(rel.title, quote=False)}</a>{who}</li>')
        parts.append("<p>Related coverage:</p>\n<ul>\n" + "\n".join(items) + "\n</ul>")
    parts.append(f'<p><a href="{_attr(article.url)}">Read the full story')
    if article.provider and article.provider.name:
        parts[-1] += f" at {escape(article.provider.name, quote=False)}"
    parts[-1] += "</a></p>"
    return sanitise("\n".join(parts))
