"""YAML front matter: finding it in an article file and loading it safely.

Every YAML quirk feedpub meets lives here: byte-order marks, CRLF files, a missing
closing ``---``, topic files that end with a bare ``---`` (a second, empty document),
and the C loader, which is much faster than the pure-Python one but is not always built.
"""

from __future__ import annotations

from typing import Any

import yaml

from feedpub.errors import ArticleError

# CSafeLoader is PyYAML's libyaml binding; both loaders construct only plain types.
SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FENCES = ("---", "...")


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


def load_front_matter(data: bytes) -> dict[str, Any]:
    """Parse an article file's front matter into a mapping; ArticleError says why not."""
    body = split(decode(data))
    try:
        value = yaml.load(body, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        # +1: line numbers count the opening '---' line of the file.
        raise ArticleError(_yaml_problem(exc, 1)) from None
    if value is None:
        raise ArticleError("the front matter is empty")
    if not isinstance(value, dict):
        raise ArticleError(f"the front matter is a {type(value).__name__}, not a mapping of fields")
    return value


def load_data_file(data: bytes) -> Any:
    """Load a ``_data`` YAML file: the first document, ignoring a trailing bare ``---``."""
    text = decode(data)
    try:
        for doc in yaml.load_all(text, Loader=SafeLoader):
            if doc is not None:
                return doc
    except yaml.YAMLError as exc:
        raise ArticleError(_yaml_problem(exc, 0)) from None
    return None
