"""The one URL check: absolute http(s) URLs a feed may carry (IDNA hosts, no user info).

:func:`http_url` decides what may go into anything feedpub writes (feeds, the directory
page, config values that end up there). :func:`is_http` answers the looser question
for URLs feedpub only fetches or posts to and never writes: a redirect met while probing
an image, a WebSub hub.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit, urlunsplit

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?$")
# RFC 3986 unreserved and reserved characters plus '%': everything else is encoded.
_URI_SAFE = "!#$%&'()*+,-./:;=?@[]_~"
# A URL http_url would keep byte for byte: lower-case http(s) scheme, a lower-case
# ASCII host name as _HOST accepts it, no user or port, then only URI characters.
_PLAIN_URL = re.compile(
    r"https?://(?=[a-z0-9.-]{1,253}(?:[/?#]|\Z))[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*"
    r"(?:[/?#][A-Za-z0-9!#$%&'()*+,\-./:;=?@\[\]_~]*)?"
)

MAX_URL_LENGTH = 2048
"""Longest URL accepted (characters, after encoding); longer ones are dropped."""
HTTP_SCHEMES = frozenset({"http", "https"})
"""The only URL schemes feedpub links to, fetches or posts to."""


def host_name(value: str) -> str | None:
    """A DNS host name in ASCII (IDNA-encoded if need be), or None if it is not one."""
    host = value.strip().rstrip(".")
    if not host or len(host) > 253:
        return None
    if not host.isascii():
        try:
            # The stdlib codec implements IDNA 2003 (RFC 3490); it refuses labels
            # that are empty or longer than 63 characters.
            host = host.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            return None
    return host.lower() if _HOST.match(host) else None


def is_http(url: str) -> bool:
    """Whether ``url`` is an http(s) URL with a host at all (any case, user info and all).

    For URLs feedpub requests but never writes; a URL that goes into output must pass
    :func:`http_url` instead.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.netloc)


def public_url(url: str) -> str:
    """``url`` without user:password, query or fragment (where tokens ride), for a message."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # a port that is no number: show nothing of what follows the scheme
        return url.split("://", 1)[0] + "://…"
    return urlunsplit((parts.scheme, host, parts.path, "", "")) or "…"


def http_url(value: object, *, decode_entities: bool = False) -> str | None:
    """Return ``value`` as an absolute http(s) URL a feed may carry, else None.

    ``decode_entities`` is for image URLs scraped from WordPress HTML, which keep
    ``&#038;`` where the URL means ``&``.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if decode_entities and "&" in url:
        url = html.unescape(url)
    if not url or len(url) > MAX_URL_LENGTH:
        return None
    if _PLAIN_URL.fullmatch(url):
        return url  # what the checks below keep of such a URL, unchanged
    # Whitespace or a control character inside a URL is an obfuscation ("java\tscript:").
    if any(ch.isspace() or not ch.isprintable() for ch in url) or _XML_INVALID.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    scheme = parts.scheme.lower()
    if parts.hostname.startswith("[") or ":" in parts.hostname:
        host = parts.hostname  # an IPv6 literal: urlsplit has checked it
    else:
        named = host_name(parts.hostname)
        if named is None:
            return None
        host = named
    if host == parts.hostname and all(ch.isascii() and (ch.isalnum() or ch in _URI_SAFE) for ch in url):
        # Already a plain URI: kept byte for byte (it is the item's guid), scheme aside.
        return scheme + url[len(scheme) :]
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    url = urlunsplit(
        (
            scheme,
            netloc,
            quote(parts.path, safe=_URI_SAFE),
            quote(parts.query, safe=_URI_SAFE),
            quote(parts.fragment, safe=_URI_SAFE),
        )
    )
    return url if len(url) <= MAX_URL_LENGTH else None
