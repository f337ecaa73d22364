"""The HTML body of a feed item: lead image, excerpt and the related coverage list.

Built from already-cleaned records with every value escaped; only http(s) URLs ever
reach an ``href`` or ``src`` (the parse step dropped the others).
"""

from __future__ import annotations

from html import escape

from feedpub.records import Article


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def item_html(article: Article) -> str:
    """The item's HTML content, identical in RSS ``content:encoded`` and Atom ``content``."""
    parts: list[str] = []
    if article.images:
        img = article.images[0]
        size = "".join(
            f' {name}="{value}"' for name, value in (("width", img.width), ("height", img.height)) if value
        )
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
    return "\n".join(parts)
