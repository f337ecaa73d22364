"""The selection snapshot: the last run's selection, reused while nothing it depends on changed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from feedpub.cache.codec import pack, read_file, version_tag
from feedpub.cache.parsed import ParseCache, Stub
from feedpub.times import from_micros, micros
from feedpub.files import write_atomic
from feedpub.records import Rejection


def _select_stamp() -> tuple:  # type: ignore[type-arg]
    """What a stored selection depends on besides the files and rules: the code choosing it."""
    here = Path(__file__).parent
    stamps = []
    for name in ("select.py", "cache.py", "parse.py", "frontmatter.py", "clean.py", "records.py"):
        try:
            st = (here / name).stat()
            stamps.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((name, None, None))
    return tuple(stamps)


def _index_token(folder: Path) -> tuple[int, int, int] | None:
    try:
        st = (folder / "index.bin").stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class SelectionSnapshot:
    """The last run's selection state, reused when nothing it depends on has changed.

    It depends on the article files (each path, size and mtime, in order), on the
    parse cache index it was computed with, on the code, on each feed's rules (checked
    by :meth:`Selector.restore`) and on the clock only through the moments listed in
    ``valid_until`` (an article falling due or aging out). A run with all of these
    unchanged skips reading the index and offering each article to the selector.
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "selection.bin"
        self.folder = Path(folder)

    @staticmethod
    def key(files_digest: bytes, extra: object) -> bytes:
        """The digest of the scanned files (:class:`feedpub.collect.scan.Tally`) and anything else the selection reads."""
        h = hashlib.blake2b(files_digest, digest_size=20)
        h.update(repr((extra, _select_stamp())).encode())
        return h.digest()

    def load(self, key: bytes, now: datetime) -> tuple | None:  # type: ignore[type-arg]
        """``(state, rejected, valid until)`` stored under ``key`` if still valid at ``now``, else None."""
        payload = read_file(self.path)
        if not isinstance(payload, tuple):
            return None
        try:
            (stored_key, token, until), (state, rejected) = payload[2], payload[3]
            if stored_key != key or token is None or tuple(token) != _index_token(self.folder):
                return None
            if until is not None and micros(now) >= until:
                return None
            accepted, newest, held, spellings, feeds = state
            feeds = {
                k: (rules, total, [ParseCache.stub(*item) for item in items])
                for k, (rules, total, items) in feeds.items()
            }
            state = (accepted, None if newest is None else from_micros(newest), held, spellings, feeds)
            return state, [Rejection(p, r) for p, r in rejected], None if until is None else from_micros(until)
        except (TypeError, ValueError, OverflowError):
            return None

    def save(self, key: bytes, state: tuple, until: datetime | None, rejected: Sequence[Rejection]) -> bool:  # type: ignore[type-arg]
        """Store a selection state computed from every file (after ``cache.save()``).

        False (and nothing stored) when an item is not known by its stored record.
        """
        accepted, newest, held, spellings, feeds = state
        plain = {}
        for k, (rules, total, items) in feeds.items():
            if not all(isinstance(a, Stub) and a.ref for a in items):
                return False
            plain[k] = (
                rules,
                total,
                [(a.path, a.url, micros(a.published_at), a.quality, a.published, a.topics, a.ref) for a in items],
            )
        body = (
            (key, _index_token(self.folder), None if until is None else micros(until)),
            (
                (accepted, None if newest is None else micros(newest), held, spellings, plain),
                [(r.path, r.reason) for r in rejected],
            ),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, pack((*version_tag(), *body)), durable=False)
        return True

    def drop(self) -> None:
        """Forget the stored selection (it no longer matches)."""
        self.path.unlink(missing_ok=True)
