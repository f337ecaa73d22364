"""The config file: which one applies, and reading it into plain values under the safe YAML rules.

Which file applies: ``--config FILE`` when given, else the first of :data:`CANDIDATES`
in the current folder (like Hugo, which looks for its config in the site's root), else
none: built-in defaults. The up-to-date stamp (:mod:`feedpub.cache.uptodate`) asks
:func:`discover` too, so a config file that appears or vanishes is noticed; that is why
this module imports nothing but :mod:`os` at the top.

Reading: the file is the user's own, but it is read under the same rules as article
front matter (:mod:`feedpub.collect.yamlrules`: no anchors, aliases, foreign tags, merge
keys or duplicate keys), since a duplicate key is a mistake the user cannot see either.
Every problem is a :class:`~feedpub.errors.ConfigError` of one line.
"""

from __future__ import annotations

import os

# typing.TYPE_CHECKING without importing typing (start-up of the up-to-date check).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CANDIDATES = ("feedpub.yaml", os.path.join("config", "feedpub.yaml"))
"""Where a config file is looked for when ``--config`` is not given, in order, relative to the current folder."""

MAX_BYTES = 1_000_000
"""Largest config file read (a real one is a few kilobytes)."""


def discover() -> str | None:
    """The first of :data:`CANDIDATES` present in the current folder, or None.

    A folder of that name is passed over; anything else counts, a dangling link too,
    so that a config the user meant is reported as unreadable rather than ignored.
    """
    for name in CANDIDATES:
        if os.path.lexists(name) and not os.path.isdir(name):
            return name
    return None


def looked_for() -> str:
    """The candidates as a message names them: ``./feedpub.yaml, ./config/feedpub.yaml``."""
    return ", ".join(os.path.join(os.curdir, name) for name in CANDIDATES)


def read_bytes(path: str) -> bytes:
    """The bytes of a config file; OSError, or ValueError when it is no regular file or too large.

    Opened without blocking and checked before reading: a pipe or a device named as the
    config would otherwise hang a cron run.
    """
    import errno

    from feedpub.files import read_regular  # not at the top: the up-to-date check imports this module

    try:
        return read_regular(path, limit=MAX_BYTES)
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            raise ValueError(f"larger than {MAX_BYTES:,} bytes") from None
        if exc.strerror == "not a regular file":
            raise ValueError(exc.strerror) from None
        raise


def load_yaml(path: str) -> Any:
    """The plain values of a config file (None when it is empty).

    Raises :class:`~feedpub.errors.ConfigError` of one line naming the file (and the
    line where YAML has one) when it cannot be read, is not UTF-8 or breaks a rule.
    """
    import yaml  # only when there is a config file: a run without one starts faster

    from feedpub.collect.frontmatter import SafeLoader, check_events, decode
    from feedpub.errors import ArticleError, ConfigError
    from feedpub.text import printable

    where = printable(path)
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the config file: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: cannot read the config file: {exc}") from None
    try:
        text = decode(data)  # UTF-8, BOM and CRLF as for article files
        check_events(text)
        return yaml.load(text, Loader=SafeLoader)
    except ArticleError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML{line}: {printable(str(problem))}") from None
    except (ValueError, TypeError, AttributeError, LookupError, OverflowError) as exc:
        # PyYAML's constructors raise plain exceptions for a tagged or date-like scalar
        # they cannot build (!!float abc, !!timestamp x, 2024-13-45), without a line.
        reason = printable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)[:120]
        raise ConfigError(f"{where}: not valid YAML: a value cannot be read ({reason})") from None
