"""What the pages for people (``index.html``, ``<slug>.html``) share: escaping, links, dates, CSP.

Every text and URL on those pages comes from untrusted files (articles, topic
definitions, the config). The one rule, kept here: text goes through :func:`text`,
a link to elsewhere through :func:`external` (http(s) only, else no link at all),
a link to a file feedpub wrote through :func:`local`, and nothing else reaches the
markup. The Content-Security-Policy of each page is built here from the exact text of
its one ``<style>`` and (topic pages) its one ``<script>``, so the browser refuses
anything else even if a bug upstream let something through.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from urllib.parse import quote

from feedpub.records import HeldBack, Image
from feedpub.times import MONTH_NAMES, rfc3339, utc
from feedpub.urls import http_url


def text(value: object) -> str:
    """``value`` as HTML text, safe in element content and in a quoted attribute alike."""
    return escape(str(value), quote=True)


def external(url: object) -> str | None:
    """An attribute-ready http(s) URL, or None: then the page shows no link or image.

    Records are checked when collected; this is the second, independent check, so a
    ``javascript:`` or relative URL can never become a link on a page.
    """
    checked = http_url(url)
    return None if checked is None else escape(checked, quote=True)


def local(name: str) -> str:
    """A relative link to a file feedpub wrote beside the page, so it works under any base URL."""
    return escape(quote(name, safe="/-_.~"), quote=True)


def time_tag(moment: datetime) -> str:
    """A ``<time>`` element with a locale-free date (a page must not depend on the host)."""
    day = utc(moment)
    return f'<time datetime="{rfc3339(moment)}">{day.day} {MONTH_NAMES[day.month - 1]} {day.year}</time>'


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


def img_tag(image: Image, css_class: str, *, alt: str = "", lazy: bool = False) -> str:
    """An ``<img>`` of an http(s) image (empty when its URL is not one), sized when the file says."""
    src = external(image.url)
    if src is None:
        return ""
    size = "".join(f' {name}="{value}"' for name, value in (("width", image.width), ("height", image.height)) if value)
    loading = ' loading="lazy"' if lazy else ""
    return f'<img class="{css_class}" src="{src}"{size} alt="{text(alt)}"{loading} decoding="async">'


def csp_hash(source: str) -> str:
    """The CSP source expression allowing one inline ``<script>`` or ``<style>`` whose text is ``source``.

    CSP Level 2, "hash-source": base64 of the SHA-256 of the element's text, UTF-8.
    """
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def csp(*, styles: Sequence[str], scripts: Sequence[str] = ()) -> str:
    """The page's ``<meta http-equiv="Content-Security-Policy">``: nothing but its own style and script.

    ``default-src 'none'`` forbids every fetch, frame, font and plugin; images may come
    from any http(s) host (the articles' pictures are elsewhere); ``style-src`` and
    ``script-src`` allow only the exact inline texts given, by hash (so no inline
    ``style`` or event-handler attribute works either); no ``<base>``, no form target.
    """
    parts = [
        "default-src 'none'",
        "img-src http: https:",
        "style-src " + " ".join(csp_hash(s) for s in styles),
        "script-src " + (" ".join(csp_hash(s) for s in scripts) if scripts else "'none'"),
        "base-uri 'none'",
        "form-action 'none'",
    ]
    policy = "; ".join(parts)  # quotes, letters, digits and base64: nothing to escape
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


BASE_CSS = """
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1b1f24;--muted:#5b6470;
--line:#dde1e6;--accent:#0b5cad;--rss:#c2410c;--atom:#4d7c0f;--json:#6d28d9}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1a1e24;--text:#e6e8eb;
--muted:#9aa3ad;--line:#2c323a;--accent:#6cb0f5;--rss:#fb923c;--atom:#a3e635;--json:#c4b5fd}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);
font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
.wrap{max-width:64rem;margin:0 auto;padding:1.5rem 1rem 2rem}
header{margin-bottom:1.5rem}
h1{font-size:1.75rem;line-height:1.2;margin:0 0 .5rem;overflow-wrap:anywhere}
.lede{margin:0;color:var(--muted);max-width:40rem;overflow-wrap:anywhere}
a{color:var(--accent)}
img{max-width:100%;height:auto}
.meta{margin:0;color:var(--muted);font-size:.9rem}
.empty{color:var(--muted)}
.rss{color:var(--rss)}.atom{color:var(--atom)}.json{color:var(--json)}
footer{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
footer p{margin:.25rem 0}
""".strip()
"""The look both pages share; each adds its own rules after it, in its one ``<style>``."""
