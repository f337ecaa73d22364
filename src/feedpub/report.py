"""What a run prints about itself: the ``--json`` object and the one-line summaries.

Shared by :mod:`feedpub.cli` and the up-to-date replay (:mod:`feedpub.cache.uptodate`),
which must print what the build it answers for printed without loading the pipeline:
this module needs nothing but the standard library.

With ``--json`` every command prints exactly one object on stdout, whatever happens:
the common keys below, then the command's sections (README, "Commands"). A section the
run did not reach (a config error, a lock held) is null, never missing, so a monitor
can read every key of every run.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from feedpub import __version__

# typing.TYPE_CHECKING without importing typing (start-up of the up-to-date check).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

COMMON = ("version", "command", "status", "error", "duration", "warnings")
"""The keys of every ``--json`` object, usage errors included."""

SECTIONS: dict[str, tuple[str, ...]] = {
    "build": ("articles", "topics", "timings", "cache", "output", "up_to_date"),
    "publish": ("articles", "topics", "timings", "cache", "publish"),
    "check": ("read", "accepted", "rejected"),
    "topics": ("articles", "topics", "timings", "cache"),
    "config": ("config_file", "config", "sources", "credential_variables"),
}
"""Each command's own keys, in the order printed (``serve`` has no ``--json``)."""


def envelope(
    command: str | None,
    body: Mapping[str, Any],
    *,
    status: int,
    error: str | None,
    warnings: Sequence[str],
    duration: float,
) -> dict[str, Any]:
    """The ``--json`` object of a run: the common keys, then ``command``'s sections from ``body``.

    ``error`` (a failed run) becomes ``{"message", "exit_status"}``; ``up_to_date`` is
    false unless ``body`` says otherwise; other sections missing from ``body`` are null.
    """
    out: dict[str, Any] = {
        "version": __version__,
        "command": command,
        "status": status,
        "error": None if error is None else {"message": error, "exit_status": status},
        "duration": round(duration, 4),
        "warnings": list(warnings),
    }
    for key in SECTIONS.get(command or "", ()):
        out[key] = body.get(key, False if key == "up_to_date" else None)
    return out


def print_json(data: object) -> None:
    """One JSON document on stdout (UTF-8 kept as is: file names and titles are for people)."""
    import json  # here: an up-to-date run without --json (cron's) does not load it (with re)

    print(json.dumps(data, indent=2, ensure_ascii=False))


def on_terminal() -> bool:
    """Whether stderr is a terminal: summaries are for a person watching, never for cron's mail."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False  # replaced or closed: nobody is watching


def build_line(body: Mapping[str, Any]) -> str:
    """The one-line summary of ``feedpub build`` on a terminal (without ``--json`` or ``--quiet``)."""
    topics = body["topics"]
    from feedpub.formats import HTML  # here: the up-to-date answer prints its stored line, not this

    feeds = sum(not name.endswith(HTML.extension) for t in topics for name in t["files"])  # pages are not feeds
    articles, output = body["articles"], body["output"]
    return (
        f"{articles['accepted']} articles, {len(articles['rejected'])} rejected; {feeds} feeds for "
        f"{len(topics)} topics in {output['folder']} ({output['written']} written, {output['unchanged']} unchanged)"
    )
