"""A fast reader for the plain block YAML that front matter is written in.

libyaml through PyYAML costs ~60 % of parsing an article, mostly in creating an event
object (with two Mark objects) per token and walking them in Python. Nearly every real
front matter is one block mapping of ``key: value`` lines, nested mappings and ``- ``
lists, with quoted or plain one-line values. :func:`load` reads exactly that, line by
line, and for anything else returns :data:`UNSURE` so that the caller uses the full
loader (:mod:`feedpub.collect.frontmatter`), which also produces the error messages.

The values are those ``yaml.load`` with the safe loader gives: plain scalars go through
the loader's own implicit-resolver table and constructors, and every construct whose
meaning has a subtle rule is refused rather than guessed: tabs, comments, flow
collections, block scalars, multi-line scalars, anchors, aliases, tags, directives,
document markers, complex and quoted keys, and any character libyaml would refuse or
treat as a line break. What the safety rules of :mod:`feedpub.collect.yamlrules` refuse
(a key text :func:`~feedpub.collect.yamlrules.key_refused` names, a duplicate key,
nesting deeper than ``MAX_DEPTH``) is stepped aside from too, so the event readers
refuse it with the rule's message and line. ``tests/test_plainyaml.py``
checks the results against the full loader on real, generated and random documents.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import yaml

from feedpub.collect import yamlrules
from feedpub.collect.yamlrules import MAX_DEPTH

UNSURE: Any = object()
"""Returned when the text is outside the subset read here: use the full loader."""

_CORE = "tag:yaml.org,2002:"
# Characters that are fine anywhere in the subset. Everything else (tabs, CR, controls,
# NEL, the Unicode line and paragraph separators, BOM, surrogates, non-characters)
# goes to the full loader, which knows libyaml's rules for them.
# (The complement of: \n, 20-7E, A0-2027, 202A-D7FF, E000-FEFE, FF00-FFFD, 10000-10FFFF;
# a negated class of those ranges takes ~9 ms to compile.)
_UNUSUAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# Each line (findall gives one tuple per line, blank ones too): indent; "-" and the
# spaces after it; a key with its colon; the text of a double-quoted value without
# escapes, and its closing quote (set only when that alternative matched); else the rest.
_LINES = re.compile(r'^( *)(-(?: +|$))?(?:([A-Za-z_][A-Za-z0-9_-]*:)(?: +|$))?(?:"([^"\\\n]*)(") *$|(.*))', re.MULTILINE)
_DOUBLE = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)" *')
_SINGLE = re.compile(r"'((?:[^']|'')*)' *")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
# A plain scalar may not start with an indicator; '-' (as in -1), '?' and ':' may when
# a non-space follows. The last two are rare and go to the full loader.
_PLAIN_START_BAD = frozenset("-?:,[]{}#&*!|>'\"%@`")
_INT = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_UTC_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


class _Unsure(Exception):
    """Raised inside the reader to give up on this text."""


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    simple = _SIMPLE_ESCAPES.get(code)
    if simple is not None:
        return simple
    if len(code) > 1:
        point = int(code[1:], 16)
        if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
            raise _Unsure
        return chr(point)
    raise _Unsure  # an escape libyaml refuses: let it say so


def _utc_seconds(text: str) -> datetime:
    """What construct_yaml_timestamp builds for a text :data:`_UTC_SECONDS` matches, without its regex."""
    try:
        return datetime(
            int(text[:4]), int(text[5:7]), int(text[8:10]),
            int(text[11:13]), int(text[14:16]), int(text[17:19]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError as exc:
        raise _Unsure from exc


class _Scalars:
    """Plain scalars resolved and built as the safe loader does, memoised per text."""

    def __init__(self) -> None:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        wildcard = loader.yaml_implicit_resolvers.get(None, [])
        self._resolvers = {
            first: rules + wildcard for first, rules in loader.yaml_implicit_resolvers.items() if first is not None
        }
        self._wildcard = wildcard
        self._constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)  # only its scalar methods are used
        self._cache: dict[str, Any] = {}
        self.plain: dict[str, Any] = {}
        """Plain one-line values seen before (as written, trailing spaces too) and their values."""
        self.keys: dict[str, Any] = {}
        """Keys seen before, with their colon, and their values."""

    def key(self, key: str) -> Any:
        """The value of a plain key given with its colon (``title:`` is 'title').

        Asked once per key text (the caller remembers the answer in :attr:`keys`), so
        the key rules of :mod:`feedpub.collect.yamlrules` cost nothing per file.
        """
        if yamlrules.key_refused(key[:-1]) is not None:
            raise _Unsure  # the event readers refuse it, naming the rule and the line
        value = self.value(key[:-1])
        if len(self.keys) < 4096:
            self.keys[key] = value
        return value

    def value(self, text: str) -> Any:
        cached = self._cache.get(text, UNSURE)
        if cached is not UNSURE:
            return cached
        for tag, regexp in self._resolvers.get(text[:1], self._wildcard):  # noqa: B007 - read after the loop (for/else)
            if regexp.match(text):
                break
        else:
            tag = _CORE + "str"
        if tag == _CORE + "str":
            value: Any = text
        elif tag == _CORE + "int" and len(text) < 19 and _INT.match(text):
            value = int(text)
        elif tag == _CORE + "timestamp" and _UTC_SECONDS.match(text):
            value = _utc_seconds(text)
        elif tag in (_CORE + "null", _CORE + "bool", _CORE + "int", _CORE + "float", _CORE + "timestamp"):
            method = getattr(self._constructor, "construct_yaml_" + tag[len(_CORE) :])
            try:
                value = method(yaml.ScalarNode(tag, text))
            except Exception as exc:
                raise _Unsure from exc
        else:
            raise _Unsure  # '=' (value) and '<<' (merge) are not built here
        if len(self._cache) < 4096 and not isinstance(value, (list, dict)):
            self._cache[text] = value
        return value


_scalars = _Scalars()


def _scalar(rest: str) -> Any:
    """The value of a one-line scalar (``rest`` has no leading spaces)."""
    first = rest[0]
    if first == '"':
        m = _DOUBLE.fullmatch(rest)
        if m is None:
            raise _Unsure  # multi-line, or something after the closing quote
        body = m.group(1)
        return _ESCAPE.sub(_unescape, body) if "\\" in body else body
    if first == "'":
        m = _SINGLE.fullmatch(rest)
        if m is None:
            raise _Unsure
        return m.group(1).replace("''", "'")
    if (first in _PLAIN_START_BAD and not (first == "-" and rest[1:2] not in ("", " "))) or " #" in rest or ": " in rest:
        raise _Unsure
    text = rest.rstrip(" ")
    if text.endswith(":"):
        raise _Unsure
    if len(text) == 20 and text[10] == "T" and _UTC_SECONDS.match(text):
        # A date with a time in UTC (publishedDateTime; ~6 a file, with related items):
        # the implicit resolvers take it for a timestamp (neither an int nor a float
        # pattern matches a text with 'T' in it), and nearly every one is different, so
        # it is built at once and not memoised, which would crowd out the values that repeat.
        return _utc_seconds(text)
    value = _scalars.value(text)
    if len(_scalars.plain) < 4096:
        _scalars.plain[rest] = value
    return value


def load(text: str) -> Any:
    """The front matter as ``yaml.load`` would build it, or :data:`UNSURE`."""
    # str.isprintable() refuses a superset of what needs the full loader here (and
    # \xa0 or soft hyphens besides), and is ten times faster than the regular expression.
    if not text.replace("\n", " ").isprintable() and _UNUSUAL.search(text):
        return UNSURE
    try:
        return _load(text)
    except _Unsure:
        return UNSURE


_MAP, _SEQ = 0, 1
_NOTHING: Any = object()  # no value on this line; no key waiting for a value
_FAR = 1 << 30


def _load(text: str) -> Any:
    # The collection the lines go into is held in four locals (its column, kind,
    # container and pending key: a mapping's key waiting for its value on the next
    # lines), not in a frame list, as a list index costs as much as the rest of a
    # line's work. The ones around it are frames [column, kind, container, pending],
    # outermost first; their pending key is always the one the current collection
    # was put under, so it is _NOTHING there. A line at column `leaf` or right of it
    # would continue the one-line scalar before it (a multi-line scalar: left to the
    # full loader).
    outer: list[list[Any]] = []
    current: Any = None  # a dict or a list; None before the first key
    column, kind, pending = -1, _MAP, _NOTHING  # column -1: no collection yet
    root: dict[Any, Any] | None = None
    odd_keys: set[tuple[int, str]] = set()  # (mapping's id, key text) of its null and boolean keys
    plain, keys_memo = _scalars.plain, _scalars.keys
    leaf = _FAR
    for indent, dash, key, quoted, closed, rest in _LINES.findall(text):
        if closed:
            value = quoted
        elif rest:
            if not dash and not key:
                raise _Unsure  # a comment, a continuation, a directive, a bare scalar...
            value = plain.get(rest, _NOTHING)
            if value is _NOTHING:
                value = _scalar(rest)
        elif dash or key:
            value = _NOTHING
        else:
            continue  # a blank line
        col = len(indent)
        if col >= leaf:
            raise _Unsure
        leaf = _FAR
        if column > col:
            # Close what this line is left of; a pending key there had no value.
            while True:
                if pending is not _NOTHING:
                    current[pending] = None
                if not outer:
                    column, kind, current, pending = -1, _MAP, None, _NOTHING
                    break
                column, kind, current, pending = outer.pop()
                if column <= col:
                    break
        if dash:
            if current is None:
                raise _Unsure  # a top-level list, or a quoted top-level scalar
            if kind == _MAP:
                # The pending key takes a list, at its own column ("key:\n- a") or deeper.
                if pending is _NOTHING:
                    raise _Unsure
                seq: list[Any] = []
                current[pending] = seq
                if len(outer) + 1 >= MAX_DEPTH:
                    raise _Unsure
                outer.append([column, kind, current, _NOTHING])
                column, kind, current, pending = col, _SEQ, seq, _NOTHING
            elif column != col:
                raise _Unsure
            if not key:
                if value is _NOTHING:
                    raise _Unsure  # "-" alone: a nested block or a null item
                current.append(value)
                leaf = col + 1
                continue
            # "- key: ...": a mapping item whose keys line up after the dash.
            item: dict[Any, Any] = {}
            current.append(item)
            if len(outer) + 1 >= MAX_DEPTH:
                raise _Unsure
            outer.append([column, kind, current, _NOTHING])
            column, kind, current, pending = col + len(dash), _MAP, item, _NOTHING
        else:
            if not key:
                raise _Unsure  # a quoted scalar on a line of its own
            if current is None:
                if root is not None or col:
                    raise _Unsure
                root = {}
                column, kind, current, pending = 0, _MAP, root, _NOTHING
            elif kind == _SEQ:
                # The end of a list at its parent key's column ("key:\n- a\nnext:").
                if column != col:
                    raise _Unsure
                column, kind, current, pending = outer.pop()  # a list is never the root
                if column != col:
                    raise _Unsure
            if column != col:
                # A nested mapping as the value of the pending key.
                if pending is _NOTHING:
                    raise _Unsure
                child: dict[Any, Any] = {}
                current[pending] = child
                if len(outer) + 1 >= MAX_DEPTH:
                    raise _Unsure
                outer.append([column, kind, current, _NOTHING])
                column, kind, current, pending = col, _MAP, child, _NOTHING
            elif pending is not _NOTHING:
                current[pending] = None  # the previous key had no value
                pending = _NOTHING
        k = keys_memo[key] if key in keys_memo else _scalars.key(key)
        # yamlrules' duplicate key rule is about a key's text: the event readers refuse
        # it, naming the line. Every earlier key of this mapping is in it by now (a
        # pending one is given its value or None before the next key of the mapping is
        # read), and a text key is its own text; only a null or boolean key can equal an
        # earlier one written differently ("true:", "True:"), so their texts are noted.
        if k.__class__ is str:
            if k in current:
                raise _Unsure
        else:
            if (id(current), key) in odd_keys:
                raise _Unsure
            odd_keys.add((id(current), key))
        if value is _NOTHING:
            pending = k
        else:
            current[k] = value
            leaf = column + 1
    if pending is not _NOTHING:
        current[pending] = None  # "key:" with nothing under it is null (frames outside have none)
    return UNSURE if root is None else root
