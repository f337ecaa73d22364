"""YAML front matter: finding it in an article file and loading it safely.

Every YAML quirk feedpub meets lives here: byte-order marks, CRLF files, a missing
closing ``---``, topic files that end with a bare ``---`` (a second, empty document),
and the C loader, which is much faster than the pure-Python one but is not always built.

Article front matter is untrusted, so before anything is constructed its event stream
is checked against the rules of :mod:`feedpub.collect.yamlrules` (no anchors, aliases,
foreign tags, merge or complex keys, duplicate keys or deep nesting): by
:func:`check_events` before ``yaml.load``, or by :func:`_load_checked`, which checks and
builds in one pass.

Front matter in the plain subset nearly every file uses is read by
:mod:`feedpub.collect.plainyaml` instead, three times faster; it steps aside for everything
these rules are about, so they and their messages apply exactly as before.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from feedpub.collect import plainyaml
from feedpub.collect.yamlrules import EventRules
from feedpub.errors import ArticleError

# CSafeLoader is PyYAML's libyaml binding; both loaders construct only plain types.
SafeLoader: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FENCES = ("---", "...")
# A line that starts like a fence, found by the newline before it: eight times faster
# than the same search as "^..." in MULTILINE mode, which tries every position.
_FENCE_START = re.compile(r"\n(?:---|\.\.\.)")

_CORE = "tag:yaml.org,2002:"


def decode(data: bytes) -> str:
    """Bytes of a text file as str: UTF-8, a leading BOM dropped, CRLF and CR made LF."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 text (invalid byte at offset {exc.start})") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split(text: str) -> str:
    """The YAML between the opening ``---`` line and the closing ``---`` (or ``...``) line."""
    if not text.startswith("---") or text[3:4] not in ("\n", "", " ", "\t"):
        raise ArticleError("no front matter (the file does not start with a '---' line)")
    if text[3:].split("\n", 1)[0].strip():
        raise ArticleError("no front matter (the first line is not just '---')")
    start = text.find("\n")
    if start < 0:
        raise ArticleError("the front matter is not closed by a '---' line")
    # Only lines that start with a fence can be one: visit just those.
    for match in _FENCE_START.finditer(text, start):
        pos = match.start() + 1
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.rstrip() in _FENCES:
            return text[start + 1 : pos]
    raise ArticleError("the front matter is not closed by a '---' line")


def _yaml_problem(exc: yaml.YAMLError, line_offset: int) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"YAML error at line {mark.line + 1 + line_offset}: {problem}"
    return f"YAML error: {problem}"


def check_events(text: str, line_offset: int = 0) -> None:
    """Refuse YAML that breaks a rule of :mod:`feedpub.collect.yamlrules`, naming the line.

    Works on the parser's event stream, which costs time and memory linear in the
    text whatever it contains, so the checks run before any value is built.
    """
    feed = EventRules(line_offset).feed
    for event in yaml.parse(text, Loader=SafeLoader):
        feed(event)


_FALLBACK = object()
_NO_KEY = object()
_STR, _NULL, _BOOL = _CORE + "str", _CORE + "null", _CORE + "bool"
# The constructors of the YAML types whose plain scalars are more than the text.
_SCALAR_TYPES = {_CORE + t: getattr(yaml.SafeLoader, "construct_yaml_" + t) for t in ("int", "float", "timestamp")}
# The loader's implicit resolvers by first character, wildcard ones appended, as
# Resolver.resolve tries them (read once: feedpub registers none of its own).
_RESOLVERS: dict[str, list[tuple[str, Any]]] = {
    first: rules + SafeLoader.yaml_implicit_resolvers.get(None, [])
    for first, rules in SafeLoader.yaml_implicit_resolvers.items()
    if first is not None
}
_NO_RESOLVERS: list[tuple[str, Any]] = SafeLoader.yaml_implicit_resolvers.get(None, [])
_PLAIN_VALUES: dict[str, Any] = {}
"""Plain scalars already resolved and built (keys, repeated values), by their text; bounded."""
_UNBUILT = object()


def _load_checked(text: str, line_offset: int = 0) -> Any:
    """:func:`check_events` and ``yaml.load`` in one pass over the parser's events.

    Every event goes through the same :class:`~feedpub.collect.yamlrules.EventRules`
    as in :func:`check_events`, so the same files are refused with the same reasons.
    Values are built here only from what real front matter uses (untagged scalars,
    lists, mappings, one document), with the loader's own resolver tables and
    constructors, so they equal what ``yaml.load`` gives; for anything else (an
    explicit tag, a second document, a value the constructor refuses) this returns
    ``_FALLBACK`` and the caller lets ``yaml.load`` build it, which also raises the
    same error as before.
    """
    resolvers, no_resolvers = _RESOLVERS, _NO_RESOLVERS
    bools = yaml.SafeLoader.bool_values
    constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)  # only its scalar methods are used
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end, stream_end = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.StreamEndEvent
    memo = _PLAIN_VALUES
    rules = EventRules(line_offset)
    check_node, check_end = rules.node, rules.end
    # The containers being built, each as [container, key waiting for its value].
    built: list[list[Any]] = []
    root: Any = None
    documents = 0
    fast = True
    parser = SafeLoader(text)
    try:
        next_event = parser.get_event
        while True:
            event: Any = next_event()  # mypy does not narrow on `kind is ...`, the dispatch below
            kind = type(event)
            if kind is scalar_event:
                check_node(event, True)
                if not fast:
                    continue
                value = event.value
                if event.tag is not None:
                    fast = False  # an allowed explicit tag: yaml.load builds it
                    continue
                if event.implicit[0]:
                    plain = value
                    value = memo.get(plain, _UNBUILT)
                    if value is _UNBUILT:
                        # Resolver.resolve: the implicit resolvers for the first character, in order.
                        for resolved, regexp in resolvers.get(plain[:1], no_resolvers):  # noqa: B007 - read after the loop (for/else)
                            if regexp.match(plain):
                                break
                        else:
                            resolved = _STR
                        if resolved == _STR:
                            value = plain
                        elif resolved == _NULL:
                            value = None
                        elif resolved == _BOOL:
                            value = bools[plain.lower()]
                        elif resolved in _SCALAR_TYPES:
                            try:
                                value = _SCALAR_TYPES[resolved](constructor, yaml.ScalarNode(resolved, plain, event.start_mark))
                            except Exception:  # noqa: BLE001 - yaml.load raises it again, as it did before
                                fast = False
                                continue
                        else:
                            fast = False  # a type feedpub does not build here ('=', '<<' as a value)
                            continue
                        if len(memo) < 4096:
                            memo[plain] = value  # every value built here is immutable: safe to share
                if built:  # _attach, inlined: this is the most common event
                    slot = built[-1]
                    if type(slot[0]) is list:
                        slot[0].append(value)
                    elif slot[1] is _NO_KEY:
                        slot[1] = value
                    else:
                        slot[0][slot[1]] = value
                        slot[1] = _NO_KEY
                else:
                    root = value
            elif kind is mapping_end or kind is sequence_end:
                check_end()
                if fast:
                    value = built.pop()[0]
                    if built:
                        _attach(built[-1], value)
                    else:
                        root = value
            elif kind is mapping_start or kind is sequence_start:
                check_node(event, False)
                if event.tag is not None:
                    fast = False
                if fast:
                    built.append([{}, _NO_KEY] if kind is mapping_start else [[], None])
            elif kind is stream_end:
                break
            elif kind is yaml.AliasEvent:
                rules.alias(event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                fast = fast and documents == 1  # yaml.load refuses a second document: let it say so
    finally:
        parser.dispose()
    return root if fast else _FALLBACK


def _attach(slot: list[Any], value: Any) -> None:
    container = slot[0]
    if type(container) is list:
        container.append(value)
    elif slot[1] is _NO_KEY:
        slot[1] = value
    else:
        container[slot[1]] = value
        slot[1] = _NO_KEY


def load_front_matter(data: bytes) -> dict[str, Any]:
    """Parse an article file's front matter into a mapping; ArticleError says why not."""
    if not data.strip():
        raise ArticleError("empty file")
    if b"\x00" in data:
        raise ArticleError("contains NUL bytes (a binary or UTF-16 file?)")
    body = split(decode(data))
    try:
        # The plain subset nearly all front matter is written in, read without libyaml;
        # anything else is checked and built from the parser's events.
        value = plainyaml.load(body)
        if value is plainyaml.UNSURE:
            # +1: line numbers count the opening '---' line of the file.
            value = _load_checked(body, 1)
        if value is _FALLBACK:
            value = yaml.load(body, Loader=SafeLoader)
    except ArticleError:
        raise
    except Exception as exc:  # noqa: BLE001 - narrowed in _as_article_error
        raise _as_article_error(exc, 1) from None
    if value is None:
        raise ArticleError("the front matter is empty")
    if not isinstance(value, dict):
        raise ArticleError(f"the front matter is a {type(value).__name__}, not a mapping of fields")
    return value


def _as_article_error(exc: Exception, line_offset: int) -> ArticleError:
    """A loader's failure as one ArticleError line; anything unexpected is re-raised."""
    if isinstance(exc, yaml.YAMLError):
        return ArticleError(_yaml_problem(exc, line_offset))
    if isinstance(exc, (ValueError, TypeError, OverflowError, RecursionError)):
        # Raised by constructors for impossible timestamps (month 13, offset +99:00)
        # and integers longer than Python's int-string limit.
        return ArticleError(f"YAML value cannot be read: {str(exc)[:80]}")
    raise exc


def load_data_file(data: bytes) -> Any:
    """Load a ``_data`` YAML file: the first document, ignoring a trailing bare ``---``."""
    text = decode(data)
    try:
        # Data files sit in the same untrusted source folders: same checks as articles.
        check_events(text)
        for doc in yaml.load_all(text, Loader=SafeLoader):
            if doc is not None:
                return doc
    except ArticleError:
        raise
    except Exception as exc:  # noqa: BLE001 - narrowed in _as_article_error
        raise _as_article_error(exc, 0) from None
    return None
