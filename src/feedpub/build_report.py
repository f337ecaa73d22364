"""How a build reports what it found: the parts of its ``--json`` sections, and the
warning for a run where no feed has a single item.

Used by :mod:`feedpub.build` (whose ``summary`` assembles the sections), by
:mod:`feedpub.build_publish` (the target as fields) and by the CLI; plain values in,
plain values out, so every report says the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from feedpub.formats import feed_files
from feedpub.records import HELD_REASONS, Extras, HeldBack, Picked, Rejection
from feedpub.select import SelectResult
from feedpub.text import printable
from feedpub.times import rfc3339

Note = Callable[[str, str], None]
"""Told of each step done to one thing, as it happens: ``(verb, what)``, e.g. ``("read", path)``,
``("rendered", "robots.xml")``; ``feedpub -v`` prints one line each. Verbs: read, reused,
selected, rendered, written, unchanged, uploaded, deleted."""


def no_note(_verb: str, _what: str) -> None:
    """The default :data:`Note`: a caller that does not ask is not told."""


def feeds(result: SelectResult) -> list[Picked]:
    """Every feed of a selection, the site feed last."""
    return [*result.selections, *([result.site] if result.site is not None else [])]


_HELD_WORDS = {
    "unpublished": "unpublished",
    "future": "not yet due",
    "too_old": "too old",
    "below_quality": "below quality",
    "no_topics": "without a topic",
}


def _rule(held: Sequence[HeldBack], reason: str) -> str:
    """`` (max_age_days 7)`` or `` (min_quality 50)`` when every feed that held articles back for ``reason`` has that rule."""
    if reason == "too_old":
        ages = {h.max_age for h in held if h.too_old and h.max_age is not None}
        return f" (max_age_days {next(iter(ages)).total_seconds() / 86400:g})" if len(ages) == 1 else ""
    if reason == "below_quality":
        floors = {h.min_quality for h in held if h.below_quality}
        return f" (min_quality {next(iter(floors)):g})" if len(floors) == 1 else ""
    return ""


def nothing_selected(result: SelectResult, read: int) -> str | None:
    """The warning for a run where no feed has a single item although there are article files, with why.

    ``no article selected for any feed: 120 too old (max_age_days 7), 3 below quality``;
    None when some feed has items (or there are no files: that run stops earlier).
    """
    every = feeds(result)
    if not read or any(p.items for p in every):
        return None
    held = [p.held for p in every]
    parts = [f"{result.held_back[r]} {_HELD_WORDS[r]}{_rule(held, r)}" for r in HELD_REASONS if result.held_back.get(r)]
    if read > result.accepted:
        parts.append(f"{read - result.accepted} rejected")
    return "no article selected for any feed: " + ", ".join(parts)


def rejection_json(r: Rejection) -> dict[str, Any]:
    """A rejected file as the JSON reports give it; ``new``: not reported by an earlier run."""
    # File names need not be UTF-8: escape what a terminal or a JSON reader can't take.
    return {"path": printable(r.path), "reason": r.reason, "new": not r.known}


def extra_files(extras: Extras, formats: Sequence[str]) -> dict[str, list[str]]:
    """Feed slug -> the names of its archive documents (oldest first), then of its top-stories feeds."""
    return {slug: [*files.archive, *files.top] for slug, files in extras.files_by_feed(formats).items()}


def topic_json(pick: Picked, formats: Sequence[str], more: Sequence[str] = ()) -> dict[str, Any]:
    """One feed as the ``topics`` section gives it: counts, the newest item's date (for staleness alerts), files.

    ``files`` is every file of the feed, so a script can find them all: the subscription
    feeds, then ``more`` (its archive documents and top-stories feeds, :func:`extra_files`).
    """
    h = pick.held
    return {
        "name": pick.topic.name,
        "slug": pick.topic.slug,
        "articles": pick.total,
        "items": len(pick.items),
        "newest": rfc3339(pick.items[0].published_at) if pick.items else None,
        "held_back": {"unpublished": h.unpublished, "future": h.future, "too_old": h.too_old, "below_quality": h.below_quality},
        "files": feed_files(pick.topic.slug, formats) + list(more),
    }
