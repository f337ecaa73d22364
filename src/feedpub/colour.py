"""Colour on stderr: the ``feedpub: error:`` line red, warnings and skipped files yellow.

Only the CLI paints, and only as it prints: the messages themselves (and so ``--json``,
which carries them) never hold an escape code, and nothing in the pipeline knows of
colour. ``--color auto`` (the default) paints only when stderr is a terminal, ``NO_COLOR``
is unset or empty (no-color.org: "when present and not an empty string, regardless of its
value") and ``TERM`` is not ``dumb`` (a terminal that shows escape codes as text).
``--color always`` and ``never`` decide alone: no-color.org asks that a per-run flag
override ``NO_COLOR``, and ``always`` is how a user keeps colour through ``less -R``.

Kept free of other imports: the up-to-date answer (:mod:`feedpub.entry`) paints its
replayed lines without loading the pipeline.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

# typing.TYPE_CHECKING without importing typing (start-up of the up-to-date check).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

CHOICES = ("auto", "always", "never")
"""The values of ``--color``, the first the default."""

RED = "\x1b[31m"
YELLOW = "\x1b[33m"
RESET = "\x1b[0m"


def wanted(choice: str, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to paint what goes to ``stream`` (default stderr) under ``--color CHOICE``."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return (stream or sys.stderr).isatty()
    except (AttributeError, ValueError):
        return False  # replaced or closed: nobody is looking


def choice_in(words: Sequence[str]) -> str:
    """The ``--color`` value a command line seems to give, before (or without) argparse:
    a usage error is painted as the user asked too. The last one given wins, as in argparse."""
    found = CHOICES[0]
    for i, word in enumerate(words):
        if word == "--":
            break
        value = word.partition("=")[2] if word.startswith("--color=") else None
        if word == "--color" and i + 1 < len(words):
            value = words[i + 1]
        if value in CHOICES:
            found = value
    return found


class Paint:
    """The lines feedpub prints on stderr, painted when ``on``, as they are otherwise."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def error(self, message: str) -> str:
        """``feedpub: error: MESSAGE``, the prefix red."""
        head = "feedpub: error:"
        return f"{RED}{head}{RESET} {message}" if self.on else f"{head} {message}"

    def problem(self, message: str) -> str:
        """``feedpub: MESSAGE`` for a warning or a skipped file, the line yellow; a message that
        is itself an error (``serve`` keeps serving after a failed rebuild) as :meth:`error`."""
        if message.startswith("error: "):
            return self.error(message[len("error: ") :])
        return f"{YELLOW}feedpub: {message}{RESET}" if self.on else f"feedpub: {message}"


def for_stderr(choice: str) -> Paint:
    """The painter of this process's stderr under ``--color CHOICE``."""
    return Paint(wanted(choice))
