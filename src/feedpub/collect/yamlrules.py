"""The safety rules for untrusted YAML (article front matter, ``_data`` files), written once.

Article files and topic definitions come from scrapers and editors. Before any value is
built, a document is refused, naming the line, when it has:

- an anchor or an alias: a few hundred bytes of nested aliases expand to gigabytes once
  anything walks the result;
- a tag other than the plain YAML types: no ``!!python/...``, ``!!binary``, ``!!set``
  or local tags (:data:`ALLOWED_TAGS`);
- a list or mapping used as a key, or a merge key (``<<``): values an editor cannot see
  in the file;
- a key given twice in one mapping: PyYAML keeps the last value, an editor reads the first;
- nesting deeper than :data:`MAX_DEPTH`: the pure-Python constructor recurses per level.

:class:`EventRules`, fed the parser's events in order, applies them all; both readers
of :mod:`feedpub.collect.frontmatter` (the check before ``yaml.load``, and the one-pass
loader) use it. :mod:`feedpub.collect.plainyaml` reads a subset of YAML in which
anchors, aliases, tags and non-scalar keys cannot be written; it asks
:func:`key_refused` about every key text, stops at :data:`MAX_DEPTH` and at a key met
twice, and then steps aside, so the event readers refuse the file with the rule and line.
A new rule goes into :class:`EventRules`, or into :func:`key_refused` when it is about
a key's text (then both readers apply it).
"""

from __future__ import annotations

from typing import Any, NoReturn

import yaml

from feedpub.errors import ArticleError

MAX_DEPTH = 32
"""Deepest nesting of lists and mappings accepted (real front matter uses 5)."""

_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset({"!", *(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map"))})
"""Explicit tags that construct only str/int/float/bool/None/datetime/list/dict; ``!`` is
YAML's non-specific tag (it makes a plain scalar a string)."""

MERGE_KEY = "<<"


def key_refused(key: str, *, plain: bool = True) -> str | None:
    """Why ``key`` (a scalar key's text) may never be a key, wherever it is; None if it may.

    ``plain`` is False for a quoted or tagged key: ``'<<'`` is an ordinary key, only
    the plain ``<<`` merges. Rules about a key's text go here, where both readers ask.
    """
    if plain and key == MERGE_KEY:
        return "YAML merge keys ('<<') are not allowed"
    return None


def duplicate_key(key: str) -> str:
    """The reason a key given twice in one mapping is refused."""
    return f"duplicate key {key[:60]!r}"


def _refuse(reason: str, event: Any, line_offset: int) -> NoReturn:
    mark = getattr(event, "start_mark", None)
    raise ArticleError(f"{reason} (line {mark.line + 1 + line_offset})" if mark is not None else reason)


class EventRules:
    """The rules over one stream of parser events; ArticleError names the rule and the line.

    Feed every event to :meth:`feed`, or, from a loop that already tells events apart,
    each node (scalar or collection start) to :meth:`node`, each collection end to
    :meth:`end` and each alias to :meth:`alias`. ``line_offset`` is added to the line
    numbers (front matter starts on the file's second line).
    """

    __slots__ = ("_frames", "_offset")

    def __init__(self, line_offset: int = 0) -> None:
        # One frame per open collection: None for a sequence, else [keys seen, next is a key].
        self._frames: list[list[Any] | None] = []
        self._offset = line_offset

    def feed(self, event: Any) -> None:
        """Check any event (stream and document events pass)."""
        kind = type(event)
        if kind is yaml.ScalarEvent:
            self.node(event, True)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            self.node(event, False)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            self._frames.pop()
        elif kind is yaml.AliasEvent:
            self.alias(event)

    def alias(self, event: Any) -> NoReturn:
        """An alias event: always refused."""
        _refuse(f"YAML aliases (*{event.anchor}) are not allowed", event, self._offset)

    def end(self) -> None:
        """A mapping or sequence end event."""
        self._frames.pop()

    def node(self, event: Any, scalar: bool) -> None:
        """A scalar (``scalar`` True) or a mapping or sequence start event."""
        if event.anchor is not None:
            _refuse(f"YAML anchors (&{event.anchor}) are not allowed", event, self._offset)
        if event.tag is not None and event.tag not in ALLOWED_TAGS:
            _refuse(f"YAML tag {event.tag[:60]!r} is not allowed (plain values only)", event, self._offset)
        frames = self._frames
        frame = frames[-1] if frames else None
        if frame is not None:
            if frame[1]:
                if not scalar:
                    _refuse("a list or mapping used as a key is not allowed", event, self._offset)
                key, seen = event.value, frame[0]
                reason = key_refused(key, plain=event.implicit[0])
                if reason is not None:
                    _refuse(reason, event, self._offset)
                if key in seen:
                    _refuse(duplicate_key(key), event, self._offset)
                seen.add(key)
            frame[1] = not frame[1]
        if not scalar:
            if len(frames) >= MAX_DEPTH:
                _refuse(f"nested deeper than {MAX_DEPTH} levels", event, self._offset)
            frames.append([set(), True] if type(event) is yaml.MappingStartEvent else None)
