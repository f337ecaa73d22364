"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) for one topic's selection.

Same items, order and determinism as the RSS and Atom feeds: the bytes depend only on
the selection and the arguments, never on the clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from feedpub.records import Article, Selection
from feedpub.render.images import ProbeResult, guess_image_type
from feedpub.times import rfc3339
from feedpub.urls import http_url

VERSION = "https://jsonfeed.org/version/1.1"


def _http(url: str | None) -> str | None:
    """``url`` as given if it is one a feed may carry (:func:`~feedpub.urls.http_url`), else None.

    JSON Feed readers open these links. The value is kept as written, as the RSS and
    Atom feeds keep it, so the three formats link to the same address.
    """
    return url if url and http_url(url) is not None else None


def _item(
    article: Article,
    content_html: Callable[[Article], str] | None,
    probed: Callable[[str], ProbeResult | None] | None,
) -> dict[str, Any] | None:
    url = _http(article.url)
    if url is None:
        return None
    item: dict[str, Any] = {"id": url, "url": url, "title": article.title}
    # The spec requires content_html or content_text on every item.
    if content_html is not None:
        item["content_html"] = content_html(article)
    else:
        item["content_text"] = article.excerpt or article.title
    if article.excerpt:
        item["summary"] = article.excerpt
    item["date_published"] = rfc3339(article.published_at)
    images = [u for u in dict.fromkeys(_http(i.url) for i in article.images) if u]
    if images:
        item["image"] = images[0]
        attachments = []
        for image in images:
            known = probed(image) if probed else None
            attachment: dict[str, Any] = {"url": image, "mime_type": known.type if known else guess_image_type(image)}
            if known and known.length > 0:
                attachment["size_in_bytes"] = known.length
            attachments.append(attachment)
        item["attachments"] = attachments
    if article.provider is not None and article.provider.name:
        author: dict[str, str] = {"name": article.provider.name}
        site = _http(f"https://{article.provider.domain}") if article.provider.domain else None
        if site:
            author["url"] = site
        item["authors"] = [author]
    if article.topics:
        item["tags"] = list(dict.fromkeys(article.topics))
    return item


def render_json_feed(
    sel: Selection,
    *,
    site_title: str,
    site_link: str,
    feed_url: str,
    language: str | None,
    content_html: Callable[[Article], str] | None = None,
    probed: Callable[[str], ProbeResult | None] | None = None,
    title: str | None = None,
    hubs: Sequence[str] = (),
    author: tuple[str, str] | None = None,
    icon: str | None = None,
    favicon: str | None = None,
) -> bytes:
    """The JSON Feed 1.1 document of one topic, UTF-8, indented, ending in a newline.

    ``content_html`` gives each item's (already sanitised) HTML; without it the excerpt
    goes in ``content_text``. ``probed`` (e.g. ``ImageProbe.lookup``) supplies image
    types and sizes; unknown sizes are left out, as the spec allows. ``title`` replaces
    the feed's title, ``hubs`` are WebSub hubs, ``author`` the feed's ``(name, url)`` and
    ``icon`` the topic's image, as the RSS and Atom feeds carry them; ``favicon`` the
    site's small icon (``site.favicon``, the Atom ``<icon>``).
    """
    topic = sel.topic
    feed: dict[str, Any] = {"version": VERSION, "title": title or f"{site_title}: {topic.name}"}
    if home := _http(site_link):
        feed["home_page_url"] = home
    if self_url := _http(feed_url):
        feed["feed_url"] = self_url
    feed["description"] = topic.description or f"{topic.name} news from {site_title}"
    if icon := _http(icon):
        feed["icon"] = icon
    # The spec's favicon is a small square image (64x64) for lists of subscriptions: the
    # site's own (site.favicon), never the topic image, which is a large one.
    if favicon := _http(favicon):
        feed["favicon"] = favicon
    if author is not None:
        name, url = author
        feed["authors"] = [{"name": name, "url": url} if _http(url) else {"name": name}]
    if language:
        feed["language"] = language
    if hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in hubs]
    items = [_item(a, content_html, probed) for a in sel.items]
    feed["items"] = [i for i in items if i is not None]
    text = json.dumps(feed, ensure_ascii=False, indent=2) + "\n"
    # Lone surrogates (from "\ud800"-style escapes in YAML) cannot be UTF-8: replace
    # them rather than fail the whole feed.
    return text.encode("utf-8", "replace")
