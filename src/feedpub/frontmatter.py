"""YAML front matter: finding it in an article file and loading it safely.

Every YAML quirk feedpub meets lives here: byte-order marks, CRLF files, a missing
closing ``---``, topic files that end with a bare ``---`` (a second, empty document),
and the C loader, which is much faster than the pure-Python one but is not always built.

Article front matter is untrusted, so before anything is constructed its event stream
is checked (:func:`check_events`): anchors and aliases are refused (a few hundred bytes
of nested aliases expand to gigabytes once anything walks the result), nesting deeper
than :data:`MAX_DEPTH` is refused (the pure-Python constructor recurses per level),
only the plain YAML types may be tagged explicitly (no ``!!python/...``, ``!!binary``,
``!!set`` or local tags), and a key given twice in one mapping is refused, since PyYAML
would silently keep the last one and an editor reading the file sees the first.
"""

from __future__ import annotations

from typing import Any

import yaml

from feedpub.errors import ArticleError

# CSafeLoader is PyYAML's libyaml binding; both loaders construct only plain types.
SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FENCES = ("---", "...")

MAX_DEPTH = 32
"""Deepest nesting of lists and mappings accepted in front matter (real files use 5)."""

_CORE = "tag:yaml.org,2002:"
# Explicit tags that construct only str/int/float/bool/None/datetime/list/dict; "!" is
# YAML's non-specific tag (it makes a plain scalar a string).
_ALLOWED_TAGS = {"!", *(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map"))}


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
    pos = start + 1
    while True:
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.rstrip() in _FENCES:
            return text[start + 1 : pos]
        if end < 0:
            raise ArticleError("the front matter is not closed by a '---' line")
        pos = end + 1


def _yaml_problem(exc: yaml.YAMLError, line_offset: int) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"YAML error at line {mark.line + 1 + line_offset}: {problem}"
    return f"YAML error: {problem}"


def _line(event: Any, offset: int) -> str:
    mark = getattr(event, "start_mark", None)
    return f" (line {mark.line + 1 + offset})" if mark is not None else ""


def check_events(text: str, line_offset: int = 0) -> None:
    """Refuse YAML that is costly or ambiguous to construct; see the module docstring.

    Works on the parser's event stream, which costs time and memory linear in the
    text whatever it contains, so the checks run before any value is built.
    """
    # One frame per open collection: None for a sequence, else [keys seen, next is a key].
    stack: list[list[Any] | None] = []
    for event in yaml.parse(text, Loader=SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise ArticleError(f"YAML aliases (*{event.anchor}) are not allowed{_line(event, line_offset)}")
        if isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
            continue
        if not isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            continue
        if event.anchor is not None:
            raise ArticleError(f"YAML anchors (&{event.anchor}) are not allowed{_line(event, line_offset)}")
        if event.tag is not None and event.tag not in _ALLOWED_TAGS:
            raise ArticleError(f"YAML tag {event.tag[:60]!r} is not allowed (plain values only){_line(event, line_offset)}")
        frame = stack[-1] if stack else None
        if frame is not None:
            if frame[1]:
                if not isinstance(event, yaml.ScalarEvent):
                    raise ArticleError(f"a list or mapping used as a key is not allowed{_line(event, line_offset)}")
                if event.value == "<<" and event.implicit[0]:
                    raise ArticleError(f"YAML merge keys ('<<') are not allowed{_line(event, line_offset)}")
                if event.value in frame[0]:
                    raise ArticleError(f"duplicate key {event.value[:60]!r}{_line(event, line_offset)}")
                frame[0].add(event.value)
            frame[1] = not frame[1]
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise ArticleError(f"nested deeper than {MAX_DEPTH} levels{_line(event, line_offset)}")
            stack.append([set(), True] if isinstance(event, yaml.MappingStartEvent) else None)


def load_front_matter(data: bytes) -> dict[str, Any]:
    """Parse an article file's front matter into a mapping; ArticleError says why not."""
    if not data.strip():
        raise ArticleError("empty file")
    if b"\x00" in data:
        raise ArticleError("contains NUL bytes (a binary or UTF-16 file?)")
    body = split(decode(data))
    try:
        # +1: line numbers count the opening '---' line of the file.
        check_events(body, 1)
        value = yaml.load(body, Loader=SafeLoader)
    except ArticleError:
        raise
    except yaml.YAMLError as exc:
        raise ArticleError(_yaml_problem(exc, 1)) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # Raised by constructors for impossible timestamps (month 13, offset +99:00)
        # and integers longer than Python's int-string limit.
        raise ArticleError(f"YAML value cannot be read: {str(exc)[:80]}") from None
    if value is None:
        raise ArticleError("the front matter is empty")
    if not isinstance(value, dict):
        raise ArticleError(f"the front matter is a {type(value).__name__}, not a mapping of fields")
    return value


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
    except yaml.YAMLError as exc:
        raise ArticleError(_yaml_problem(exc, 0)) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ArticleError(f"YAML value cannot be read: {str(exc)[:80]}") from None
    return None
