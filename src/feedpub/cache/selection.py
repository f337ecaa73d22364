"""The selection snapshot: the last run's selection, reused while nothing it depends on changed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from feedpub.cache.codec import pack, read_file
from feedpub.files import clear, write_atomic
from feedpub.records import (
    ArticleRef,
    FeedState,
    Rejection,
    Rules,
    SelectionState,
    StoredSelection,
)
from feedpub.times import from_micros, micros

_new_tuple = tuple.__new__


def _index_token(folder: Path) -> tuple[int, int, int] | None:
    try:
        st = (folder / "index.bin").stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _plain_rules(rules: Rules) -> tuple:  # type: ignore[type-arg]
    age = rules.max_age
    plain_age = None if age is None else (age.days, age.seconds, age.microseconds)
    return (rules.min_quality, rules.max_items, plain_age, rules.include_unpublished)


def _rules(plain: tuple) -> Rules:  # type: ignore[type-arg]
    quality, items, age, unpublished = plain
    return Rules(quality, items, None if age is None else timedelta(*age), unpublished)


def _time(us: int | None) -> datetime | None:
    return None if us is None else from_micros(us)


def _us(when: datetime | None) -> int | None:
    return None if when is None else micros(when)


class SelectionSnapshot:
    """The last run's selection state, reused when nothing it depends on has changed.

    It depends on the article files (each path, size and mtime, in order), on the
    parse cache index it was computed with, on the code (the cache files' version tag),
    on each feed's rules (checked by :meth:`Selector.restore`) and on the clock: it is
    valid from the moment it was made until the state's ``valid_until`` (an article
    falling due or aging out), and for no clock outside that, so a clock set back (an
    article due then is not due now) is a miss, not a stale selection. A run with all
    of these unchanged skips reading the index and offering each article to the
    selector.
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "selection.bin"
        self.folder = Path(folder)

    @staticmethod
    def key(files_digest: bytes, extra: object) -> bytes:
        """The digest of the scanned files (:class:`feedpub.collect.scan.Tally`) and anything else the selection reads."""
        h = hashlib.blake2b(files_digest, digest_size=20)
        h.update(repr(extra).encode())
        return h.digest()

    def load(self, key: bytes, now: datetime) -> StoredSelection | None:
        """The selection stored under ``key``, if valid at ``now`` (made at or before it, due to change after), else None."""
        payload = read_file(self.path)
        if not isinstance(payload, tuple):
            return None
        try:
            (stored_key, token, made, _marks), (accepted, newest, held, spellings, feeds, until), rejected = payload
            if stored_key != key or token is None or tuple(token) != _index_token(self.folder):
                return None
            at = micros(now)
            if at < made or (until is not None and at >= until):
                return None  # the clock is outside [made, valid_until): the selection may differ
            width = len(ArticleRef._fields)
            if any(len(item) != width for _, _, items, _ in feeds.values() for item in items):
                return None
            state = SelectionState(
                accepted=accepted,
                newest=_time(newest),
                held_back=held,
                spellings=spellings,
                feeds={
                    k: FeedState(_rules(rules), total, tuple(_new_tuple(ArticleRef, item) for item in items), dict(held_k))
                    for k, (rules, total, items, held_k) in feeds.items()
                },
                valid_until=_time(until),
            )
            # Rejected by the run that stored it, files unchanged since: reported then.
            return StoredSelection(state, tuple(Rejection(p, r, known=True) for p, r in rejected))
        except (TypeError, ValueError, OverflowError, AttributeError):
            return None

    def marks(self) -> list[bytes] | None:
        """The marks of the scan the stored selection was made from (see :class:`~feedpub.collect.scan.Tally`).

        Given as ``expect`` to the scan that checks whether the files are still those, they
        end it at the first block of files that changed, not after every file. None when
        nothing usable is stored.
        """
        payload = read_file(self.path)
        if not (isinstance(payload, tuple) and payload and isinstance(payload[0], tuple) and len(payload[0]) == 4):
            return None
        marks = payload[0][3]
        if not isinstance(marks, list) or not all(isinstance(m, bytes) for m in marks):
            return None
        return marks

    def save(
        self,
        key: bytes,
        state: SelectionState,
        rejected: Sequence[Rejection],
        made: datetime,
        marks: Sequence[bytes] = (),
    ) -> bool:
        """Store a selection state computed from every file at ``made`` (after ``cache.save()``).

        ``marks``: those of the scan of the files (see :meth:`marks`). False (and nothing
        stored) when an item is not known by its stored record.
        """
        feeds = {}
        for k, feed in state.feeds.items():
            refs = [tuple(a) for a in feed.items if isinstance(a, ArticleRef)]
            if len(refs) != len(feed.items):
                return False  # a full Article (parsed again this run): not known by a stored record
            feeds[k] = (_plain_rules(feed.rules), feed.total, refs, dict(feed.held_back))
        body = (
            (key, _index_token(self.folder), micros(made), list(marks)),
            (state.accepted, _us(state.newest), state.held_back, state.spellings, feeds, _us(state.valid_until)),
            [(r.path, r.reason) for r in rejected],
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, pack(body), durable=False, clobber=True)  # a folder at its name is replaced
        return True

    def drop(self) -> None:
        """Forget the stored selection (it no longer matches), whatever is at its name."""
        try:
            clear(self.path)
        except OSError:
            pass  # a stale snapshot is never used: its key or the index token no longer matches
