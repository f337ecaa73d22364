"""The render cache: the last rendered bytes of each feed file, reused while their inputs are unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from feedpub.cache.codec import pack, read_file
from feedpub.files import write_atomic
from feedpub.records import Article, ArticleRef, Picked, Selection


class RenderCache:
    """The last rendered bytes of each feed file, reused while their inputs are unchanged."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "feeds"
        self.reused = 0
        self.rendered = 0
        # Written by other code (a new feedpub, an edited module, another feedgen...),
        # the manifest is not read: read_file checks the code stamp.
        payload = read_file(Path(folder) / "feeds.bin")
        self._manifest: dict[str, tuple[bytes, bytes]] = payload if isinstance(payload, dict) else {}
        self._index = Path(folder) / "feeds.bin"
        self._used: dict[str, tuple[bytes, bytes]] = {}

    @staticmethod
    def settings_key(settings: Sequence[object]) -> bytes:
        """The digest of the run-wide render settings (site, hubs, topic names): once a run."""
        return hashlib.blake2b(repr(tuple(settings)).encode(), digest_size=20).digest()

    @staticmethod
    def key(
        sel: Picked | Selection,
        settings: bytes,
        probed: Sequence[object],
        digest: Callable[[Article | ArticleRef], bytes],
    ) -> bytes:
        """The digest of everything rendering one topic's feeds reads; :meth:`get` adds the format."""
        h = hashlib.blake2b(settings, digest_size=20)
        h.update(repr((probed, sel.topic, sel.updated, len(sel.items))).encode())
        for a in sel.items:
            h.update(a.path.encode("utf-8", "surrogatepass"))
            h.update(digest(a))
        return h.digest()

    def get(self, name: str, key: bytes) -> bytes | None:
        """The stored bytes of feed file ``name`` if rendered from the same inputs."""
        entry = self._manifest.get(name)
        if entry is None or entry[0] != key:
            return None
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        if hashlib.blake2b(data, digest_size=20).digest() != entry[1]:
            return None
        self._used[name] = entry
        self.reused += 1
        return data

    def put(self, name: str, key: bytes, data: bytes) -> None:
        """Remember freshly rendered bytes."""
        self.rendered += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written in place, not through a temporary file and a rename (a third of the
        # cost on some file systems): a torn or stale file fails the digest in get().
        (self.folder / name).write_bytes(data)
        self._used[name] = (key, hashlib.blake2b(data, digest_size=20).digest())

    def save(self) -> None:
        """Write the manifest of this run's feeds and drop files of feeds that are gone."""
        if self._used == self._manifest:
            return
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self._index, pack(self._used), durable=False)
        for name in set(self._manifest) - set(self._used):
            (self.folder / name).unlink(missing_ok=True)
