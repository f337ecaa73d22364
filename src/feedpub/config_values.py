"""The checks of config values, one per kind of value, each naming the key in its message.

Every value of the config file passes one of these when the file loads, so a build never
meets a value it cannot use: no traceback half-way, no feed with a control character in
its title, no hang on an endless wait. A check returns the value or raises
:class:`~feedpub.errors.ConfigError` as ``"KEY: reason"``; the loader puts the file in front.

Text values with control characters are refused, not cleaned: the config is the user's
own file, and a title quietly changed would differ from the one they wrote.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from feedpub import redact
from feedpub.errors import ConfigError
from feedpub.text import printable
from feedpub.urls import http_url, is_http, public_url

Check = Callable[[Any, str], Any]
"""A check: ``(value, key)`` -> the value to use, or ConfigError naming ``key``."""

# C0 and C1 controls and DEL, lone surrogates (a "\ud800" escape in a quoted YAML
# string), the two non-characters XML forbids, and the bidi embedding/override/isolate
# controls that reorder text around them in a reader's list.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
# The same, but tab and newline are allowed (a description written as a YAML block).
_CONTROL_PROSE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
# A language tag as RSS, Atom and JSON Feed take it (BCP 47's shape: en, pt-BR, zh-Hant-TW).
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# botocore refuses other region names with a ValueError when the client is made, long
# after the config loaded; the same pattern here refuses them at load.
_REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?")

MAX_NAME = 300
"""Longest title, author, profile or topic name (characters), as for article titles."""
MAX_PROSE = 2000
"""Longest description (characters), as for article excerpts."""
MAX_PATH = 4096
"""Longest file or folder path (characters), the usual PATH_MAX."""


def shown(value: Any) -> str:
    """A value as a message shows it: its repr, printable, at most 60 characters, and without
    the credentials a URL may carry (:mod:`feedpub.redact`)."""
    text = printable(repr(redact.value("", value)))
    return text if len(text) <= 60 else text[:57] + "..."


def _got(value: Any) -> str:
    """What a value is, for a message: ``null``, ``True``, ``str``, ``list``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):  # the text too: YAML 1.1 reads 1e5 and '8' as text, and it shows
        return f"str {shown(value)}"
    return type(value).__name__


def expected(key: str, what: str, value: Any) -> ConfigError:
    """The error for a value of the wrong type: ``KEY: expected WHAT, got TYPE``."""
    return ConfigError(f"{key}: expected {what}, got {_got(value)}")


def of_type(value: Any, types: type | tuple[type, ...], key: str, what: str) -> Any:
    """``value`` if it is one of ``types`` (a YAML true/false only where ``bool`` is one of them)."""
    allowed = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        raise expected(key, what, value)
    return value


def mapping(value: Any, key: str, allowed: set[str] | None) -> dict[str, Any]:
    """A section: a mapping with text keys, each of ``allowed`` (any text when None); null is empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        if not key:
            raise ConfigError(f"expected a mapping of keys at the top level, got {_got(value)}")
        raise expected(key, "a mapping", value)
    for k in value:
        name = f"{key}.{k}" if key else str(k)
        if not isinstance(k, str):
            raise ConfigError(f"{printable(key or 'top level')}: key {shown(k)} is not text (quote it)")
        if allowed is not None and k not in allowed:
            raise ConfigError(f"{printable(name)[:100]}: unknown key (known: {', '.join(sorted(allowed))})")
    return value


def flag(value: Any, key: str) -> bool:
    """true or false."""
    return bool(of_type(value, bool, key, "true or false"))


def _bounds(value: float, key: str, low: float | None, high: float | None, above: bool) -> None:
    if low is not None and (value <= low if above else value < low):
        if above:
            raise ConfigError(f"{key}: must be more than {low:g}")
        raise ConfigError(f"{key}: must not be negative" if low == 0 else f"{key}: must be at least {low:g}")
    if high is not None and value > high:
        raise ConfigError(f"{key}: must be at most {high:,}")


def whole(low: int | None = None, high: int | None = None, what: str = "a whole number") -> Check:
    """A check for a whole number in ``[low, high]`` (either end open when None)."""

    def check(value: Any, key: str) -> int:
        of_type(value, int, key, what)
        _bounds(value, key, low, high, False)
        return int(value)

    return check


def number(low: float | None = None, high: float | None = None, what: str = "a number", *, above: bool = False) -> Check:
    """A check for a finite number in ``[low, high]`` (``(low, high]`` when ``above``)."""

    def check(value: Any, key: str) -> float:
        of_type(value, (int, float), key, what)
        if not math.isfinite(value):
            raise ConfigError(f"{key}: expected {what}, got {value!r}")
        _bounds(value, key, low, high, above)
        return value

    return check


def text(what: str = "text", *, limit: int = MAX_NAME, lines: bool = False) -> Check:
    """A check for non-empty text of at most ``limit`` characters, without control characters
    (tab and newline allowed when ``lines``)."""
    control = _CONTROL_PROSE if lines else _CONTROL

    def check(value: Any, key: str) -> str:
        of_type(value, str, key, what)
        if not value.strip():
            raise ConfigError(f"{key}: must not be empty")
        bad = control.search(value)
        if bad is not None:
            raise ConfigError(f"{key}: contains the control character U+{ord(bad.group()):04X}; remove it")
        if len(value) > limit:
            raise ConfigError(f"{key}: longer than {limit:,} characters")
        return value

    return check


name = text(limit=MAX_NAME)
prose = text(limit=MAX_PROSE, lines=True)
folder = text("a folder path", limit=MAX_PATH)
file_path = text("a file path", limit=MAX_PATH)


def language(value: Any, key: str) -> str:
    """A language tag: ``en``, ``pt-BR``."""
    of_type(value, str, key, "a language tag")
    if not _LANGUAGE.fullmatch(value):
        raise ConfigError(f"{key}: {shown(value)} is not a language tag (such as en or pt-BR)")
    return value


def region(value: Any, key: str) -> str:
    """An S3 region name as botocore accepts it."""
    of_type(value, str, key, "a region name")
    if not _REGION.fullmatch(value):
        raise ConfigError(f"{key}: {shown(value)} is not a region name (letters, digits and '-')")
    return value


def header_value(value: Any, key: str) -> str:
    """One HTTP header value: not empty, no line break or other control character."""
    of_type(value, str, key, "a Cache-Control header value")
    if not value.strip() or _CONTROL.search(value):
        raise ConfigError(f"{key}: {shown(value)}: must be one non-empty header value")
    return value


# An HTTP method is a token (RFC 9110, section 9.1; the token characters of section 5.6.2).
_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}")


def http_method(value: Any, key: str) -> str:
    """An HTTP method name, such as PURGE or BAN (a token: no space or separator)."""
    of_type(value, str, key, "an HTTP method")
    if not _METHOD.fullmatch(value):
        raise ConfigError(f"{key}: {shown(value)} is not an HTTP method (letters, digits, no spaces)")
    return value


PLACEHOLDERS = ("{key}", "{name}")
"""What a purge URL template may hold: the object's key (prefix included), or its name under the prefix."""


def url_template(value: Any, key: str) -> str:
    """An absolute http(s) URL holding ``{key}`` or ``{name}``, kept as written (filled in per object).

    It may carry credentials (user:password, a token in the query): messages show it without them.
    """
    of_type(value, str, key, "a URL with {key}")
    seen = shown(public_url(value))
    if not any(p in value for p in PLACEHOLDERS):
        raise ConfigError(f"{key}: {seen} holds no {{key}} (or {{name}}): where the object's key goes")
    filled = value
    for placeholder in PLACEHOLDERS:
        filled = filled.replace(placeholder, "x")
    if "{" in filled or "}" in filled:
        raise ConfigError(f"{key}: {seen}: only {{key}} and {{name}} may stand in braces")
    if _CONTROL.search(filled) or any(c.isspace() for c in filled) or not is_http(filled) or not urlsplit(filled).hostname:
        raise ConfigError(f"{key}: not an absolute http(s) URL: {seen}")
    return value


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|\"[^\"\\\\]*\"))*")


def media_type_value(value: Any, key: str) -> str:
    """A Content-Type header value: ``type/subtype`` and optional ``; name=value`` parameters."""
    of_type(value, str, key, "a Content-Type such as 'application/json; charset=utf-8'")
    if len(value) > 255 or not _MEDIA_TYPE.fullmatch(value):
        raise ConfigError(f"{key}: {shown(value)}: not a Content-Type (such as 'application/json; charset=utf-8')")
    return value


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of an object-name glob; ValueError (a few words) when it is no glob.

    ``*`` matches within one path segment, ``**`` across segments (``archive/**``,
    ``**/x.json``), ``?`` one character but ``/``, ``[abc]``/``[!abc]`` one of a set. A
    pattern without ``/`` matches the last segment of a name, as in ``.gitignore``: ``*.json``
    matches ``a.json`` and ``archive/2026/a.json``.
    """
    if not pattern or pattern.startswith("/") or any(s in (".", "..") for s in pattern.split("/")):
        raise ValueError("a glob of object names relative to the prefix (such as '*.xml' or 'archive/**')")
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end < 0:
                raise ValueError("'[' without its closing ']'")
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            if "/" in body:
                raise ValueError("a [set] cannot hold '/'")
            chars = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[").replace("]", "\\]")
            out.append(f"[^/{chars}]" if negate else f"[{chars}]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    regex = "".join(out)
    if "/" not in pattern:
        regex = "(?:.*/)?" + regex
    try:
        return re.compile(rf"(?s:{regex})\Z")
    except re.error as exc:  # a set such as [z-a]
        raise ValueError(f"not a glob ({exc.msg})") from None


def glob(value: Any, key: str) -> str:
    """An object-name glob (see :func:`glob_regex`)."""
    text("a glob such as '*.xml' or 'archive/**'", limit=MAX_PATH)(value, key)
    try:
        glob_regex(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {shown(value)}: {exc}") from None
    return value


def choice(*options: str) -> Check:
    """A check for one of ``options``."""
    listed = ", ".join(options[:-1]) + " or " + options[-1]

    def check(value: Any, key: str) -> str:
        of_type(value, str, key, listed)
        if value not in options:
            raise ConfigError(f"{key}: {shown(value)}: use {listed}")
        return value

    return check


def url(value: Any, key: str) -> str:
    """An absolute http(s) URL, as a feed may carry it (normalised by :func:`~feedpub.urls.http_url`)."""
    of_type(value, str, key, "a URL")
    found = http_url(value)
    if found is None:
        raise ConfigError(f"{key}: not an absolute http(s) URL: {shown(value)}")
    return found


def url_as_given(value: Any, key: str) -> str:
    """An absolute http(s) URL, kept as written (an endpoint, not something a feed carries)."""
    url(value, key)
    return value


def items(check: Check, what: str, *, single: bool = False) -> Check:
    """A check for a list of values that each pass ``check``, none twice (null is empty;
    a text alone is a list of one when ``single``)."""

    def check_list(value: Any, key: str) -> list[Any]:
        if value is None:
            return []
        if single and isinstance(value, str):
            value = [value]
        of_type(value, list, key, what)
        out: list[Any] = []
        for i, item in enumerate(value):
            item = check(item, f"{key}[{i}]")
            if item in out:
                raise ConfigError(f"{key}[{i}]: {shown(item)} is listed twice")
            out.append(item)
        return out

    return check_list


TARGET_SCHEMES = ("s3", "gs", "az")
"""URL schemes a publish target may have; anything else with no scheme is a folder."""
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def target_scheme(target: str) -> str | None:
    """The ``word`` of a ``word://...`` target, or None for a folder path."""
    found = _SCHEME.match(target)
    return found.group(1) if found else None


def check_target(target: str, where: str) -> str:
    """``target`` itself if it is a folder path or has a supported scheme; else ConfigError naming the scheme."""
    scheme = target_scheme(target)
    if scheme is not None and scheme not in TARGET_SCHEMES:
        supported = ", ".join(f"{s}://" for s in TARGET_SCHEMES)
        raise ConfigError(f"{where}: unsupported target scheme {scheme}:// (supported: {supported} or a folder path)")
    return target
