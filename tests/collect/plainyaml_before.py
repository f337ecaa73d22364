"""The fast front-matter reader's line loop as it was before it kept the current collection in
locals, kept as the reference the differential test compares the new one with.

Only :func:`load` differs from :func:`feedpub.collect.plainyaml.load`: the line scanner,
the scalar rules and their memos are the module's own.
"""

from __future__ import annotations

from typing import Any

from feedpub.collect import plainyaml
from feedpub.collect.plainyaml import _FAR, _LINES, _MAP, _NOTHING, _SEQ, UNSURE, _scalar, _scalars, _Unsure
from feedpub.collect.yamlrules import MAX_DEPTH


def load(text: str) -> Any:
    """The front matter as the reader before built it, or UNSURE."""
    if not text.replace("\n", " ").isprintable() and plainyaml._UNUSUAL.search(text):
        return UNSURE
    try:
        return _load(text)
    except _Unsure:
        return UNSURE


def _load(text: str) -> Any:
    # Open collections, innermost last: [column, kind, container, keys seen, pending
    # key]. A line at column `leaf` or right of it would continue the one-line scalar
    # before it (a multi-line scalar: left to the full loader).
    stack: list[list[Any]] = []
    top: list[Any] | None = None
    root: dict[Any, Any] | None = None
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
        if top is not None and top[0] > col:
            # Close what this line is left of; a pending key there had no value.
            while stack and stack[-1][0] > col:
                _close(stack.pop())
            top = stack[-1] if stack else None
        if dash:
            if top is None:
                raise _Unsure  # a top-level list, or a quoted top-level scalar
            if top[1] == _MAP:
                # The pending key takes a list, at its own column ("key:\n- a") or deeper.
                if top[4] is _NOTHING:
                    raise _Unsure
                seq: list[Any] = []
                top[2][top[4]] = seq
                top[4] = _NOTHING
                top = _push(stack, [col, _SEQ, seq, None, _NOTHING])
            elif top[0] != col:
                raise _Unsure
            if not key:
                if value is _NOTHING:
                    raise _Unsure  # "-" alone: a nested block or a null item
                top[2].append(value)
                leaf = col + 1
                continue
            # "- key: ...": a mapping item whose keys line up after the dash.
            item: dict[Any, Any] = {}
            top[2].append(item)
            top = _push(stack, [col + len(dash), _MAP, item, set(), _NOTHING])
        else:
            if not key:
                raise _Unsure  # a quoted scalar on a line of its own
            if top is None:
                if root is not None or col:
                    raise _Unsure
                root = {}
                top = [0, _MAP, root, set(), _NOTHING]
                stack.append(top)
            elif top[1] == _SEQ:
                # The end of a list at its parent key's column ("key:\n- a\nnext:").
                if top[0] != col:
                    raise _Unsure
                stack.pop()
                top = stack[-1]  # a list is never the root
                if top[0] != col:
                    raise _Unsure
            if top[0] != col:
                # A nested mapping as the value of the pending key.
                if top[4] is _NOTHING:
                    raise _Unsure
                child: dict[Any, Any] = {}
                top[2][top[4]] = child
                top[4] = _NOTHING
                top = _push(stack, [col, _MAP, child, set(), _NOTHING])
            elif top[4] is not _NOTHING:
                top[2][top[4]] = None  # the previous key had no value
                top[4] = _NOTHING
        seen = top[3]
        if key in seen:
            raise _Unsure  # yamlrules' duplicate key rule: the event readers refuse it, naming the line
        seen.add(key)
        k = keys_memo[key] if key in keys_memo else _scalars.key(key)
        if value is _NOTHING:
            top[4] = k
        else:
            top[2][k] = value
            leaf = top[0] + 1
    while stack:
        _close(stack.pop())
    return UNSURE if root is None else root


def _push(stack: list[list[Any]], frame: list[Any]) -> list[Any]:
    if len(stack) >= MAX_DEPTH:
        raise _Unsure
    stack.append(frame)
    return frame


def _close(frame: list[Any]) -> None:
    if frame[1] == _MAP and frame[4] is not _NOTHING:
        frame[2][frame[4]] = None  # "key:" with nothing under it is null
