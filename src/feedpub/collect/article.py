"""Parse one article file into an :class:`~feedpub.records.Article`, or say why not.

Pure and per-file, so the collect step can cache its results and run it in worker
processes. Required: ``title``, ``publishedDateTime`` and a link (``webUrl``, else
``originalUrl``); a missing or unusable one rejects the file with a reason naming it.

Optional fields: a bad ``excerpt``, ``type``, ``images``, ``provider`` or ``related``
value (or list entry) is dropped. A bad ``quality``, ``published`` or ``topics``
rejects the file instead, because dropping it would change what gets published (an
article meant to be held back would go out). Dates must be ISO 8601 (a YAML
timestamp, a date, or an ISO string; naive means UTC) between :data:`MIN_DATE` and
:data:`MAX_DATE`: free-form strings like ``01/02/2020`` or ``tomorrow`` are ambiguous
and rejected. ``secured`` and unknown fields are never read, so they can appear
nowhere in the output or in a reason.
"""

from __future__ import annotations

import math
from typing import Any

from feedpub.collect.dates import to_utc
from feedpub.collect.frontmatter import load_front_matter
from feedpub.errors import ArticleError
from feedpub.records import Article, Image, Provider, Rejection, Related
from feedpub.text import plain_text, printable
from feedpub.urls import host_name, http_url

MAX_TITLE = 300
"""Longest title, topic name, provider name or image title kept (characters); longer ones are cut with an ellipsis."""
MAX_EXCERPT = 2000
"""Longest excerpt kept (characters)."""
MAX_TOPICS = 25
"""Topics kept per article (the first ones listed); real files have at most 5."""
MAX_IMAGES = 10
"""Images kept per article; real files have one."""
MAX_RELATED = 100
"""Related items kept per article; the largest real file has 68."""
MAX_KIND = 40
_TRUE = {"true", "yes", "on", "y", "1"}
_FALSE = {"false", "no", "off", "n", "0"}


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise ArticleError(f"missing required field {field!r}")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        if required:
            raise ArticleError(f"{field}: expected text, got {_kind(value)}")
        return ""
    text = plain_text(str(value))
    if required and not text:
        raise ArticleError(f"{field}: empty")
    return _clip(text, limit)


def _number(value: object, field: str) -> float:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ArticleError(f"{field}: expected a number, got a boolean")
    if isinstance(value, str):
        text = value
        try:
            value = float(text.strip())
        except ValueError:
            raise ArticleError(f"{field}: expected a number, got {plain_text(text)[:40]!r}") from None
    if not isinstance(value, (int, float)):
        raise ArticleError(f"{field}: expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ArticleError(f"{field}: number too large") from None
    if not math.isfinite(number):
        raise ArticleError(f"{field}: not a finite number")
    return int(number) if number.is_integer() else number


def _flag(value: object, field: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    shown = plain_text(value)[:40] if isinstance(value, str) else _kind(value)
    raise ArticleError(f"{field}: expected true or false, got {shown!r}")


def _size(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 < value < 100_000:
        return value
    return None


def _topics(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    # A single name written as a string is one topic, not one per character.
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if items is None:
        raise ArticleError(f"topics: expected a list of names, got {_kind(value)}")
    names: list[str] = []
    for item in items:
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            name = _clip(plain_text(str(item)), MAX_TITLE)
            if name and name not in names:
                names.append(name)
                if len(names) == MAX_TOPICS:
                    break
    return tuple(names)


def parse_images(value: object, *, bare_urls: bool = False) -> tuple[Image, ...]:
    """The usable images of an ``images`` list: http(s) only, duplicates and junk dropped.

    Entries are mappings (``url``, ``width``, ``height``, ``title``), as in article files;
    ``bare_urls`` also takes plain URL strings, as topic definitions list them.
    """
    if not isinstance(value, list):
        return ()
    out: list[Image] = []
    for item in value:
        if bare_urls and isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict):
            continue
        url = http_url(item.get("url"), decode_entities=True)
        if url is None or any(i.url == url for i in out):
            continue
        title = item.get("title")
        title = _clip(plain_text(title), MAX_TITLE) if isinstance(title, str) else ""
        out.append(
            Image(
                url=url,
                width=_size(item.get("width")),
                height=_size(item.get("height")),
                title=title or None,
            )
        )
        if len(out) == MAX_IMAGES:
            break
    return tuple(out)


def _provider(value: object) -> Provider | None:
    if isinstance(value, str):
        name = _clip(plain_text(value), MAX_TITLE)
        return Provider(name=name) if name else None
    if not isinstance(value, dict):
        return None
    raw_name = value.get("name")
    raw_domain = value.get("domain")
    key = (raw_name if isinstance(raw_name, str) else None, raw_domain if isinstance(raw_domain, str) else None)
    if key in _providers:
        return _providers[key]
    name = _clip(plain_text(key[0]), MAX_TITLE) if key[0] is not None else ""
    domain = host_name(key[1]) or "" if key[1] is not None else ""
    provider = Provider(name=name or domain, domain=domain or None) if name or domain else None
    if len(_providers) >= 4096:
        _providers.clear()  # bounded: a worker process parses many files
    _providers[key] = provider
    return provider


_providers: dict[tuple[str | None, str | None], Provider | None] = {}
"""Providers built so far, by the name and domain as written: the same few sites name
most articles and every related item (about 6 a file), and a Provider is immutable."""


def _related(value: object, own_url: str) -> tuple[Related, ...]:
    if not isinstance(value, list):
        return ()
    out: list[Related] = []
    seen = {own_url}
    for item in value:
        if not isinstance(item, dict):
            continue
        url = http_url(item.get("webUrl")) or http_url(item.get("originalUrl"))
        if url is None or url in seen:
            continue
        title = item.get("title")
        ok = isinstance(title, (str, int, float)) and not isinstance(title, bool)
        title = _clip(plain_text(str(title)), MAX_TITLE) if ok else ""
        try:
            when = to_utc(item.get("publishedDateTime"), "related.publishedDateTime")
        except ArticleError:
            when = None
        seen.add(url)
        out.append(Related(title=title or url, url=url, provider=_provider(item.get("provider")), published_at=when))
        if len(out) == MAX_RELATED:
            break
    return tuple(out)


def article_from_mapping(path: str, fm: dict[str, Any]) -> Article:
    """Build an Article from a front-matter mapping; ArticleError names the bad field."""
    title = _text(fm.get("title"), "title", MAX_TITLE, required=True)
    if fm.get("publishedDateTime") is None:
        raise ArticleError("missing required field 'publishedDateTime'")
    published_at = to_utc(fm["publishedDateTime"], "publishedDateTime")
    url = http_url(fm.get("webUrl")) or http_url(fm.get("originalUrl"))
    if url is None:
        given = [k for k in ("webUrl", "originalUrl") if fm.get(k) is not None]
        if not given:
            raise ArticleError("missing required field 'webUrl' (or 'originalUrl')")
        raise ArticleError(f"{' and '.join(given)}: not an absolute http(s) URL")
    kind = fm.get("type")
    return Article(
        path=path,
        title=title,
        url=url,
        published_at=published_at,
        excerpt=_text(fm.get("excerpt"), "excerpt", MAX_EXCERPT),
        quality=_number(fm.get("quality"), "quality"),
        published=_flag(fm.get("published"), "published", True),
        topics=_topics(fm.get("topics")),
        images=parse_images(fm.get("images")),
        provider=_provider(fm.get("provider")),
        related=_related(fm.get("related"), url),
        kind=_clip(plain_text(kind), MAX_KIND) or None if isinstance(kind, str) else None,
    )


def parse_article(path: str, data: bytes) -> Article | Rejection:
    """Parse the bytes of one article file; never raises for a problem in the file."""
    try:
        return article_from_mapping(path, load_front_matter(data))
    except ArticleError as exc:
        return Rejection(path=path, reason=printable(str(exc)))
