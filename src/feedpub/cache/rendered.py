"""The render cache: the last rendered bytes of each feed file, reused while their inputs are unchanged."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from feedpub.cache.codec import pack, read_file
from feedpub.files import clear, read_regular, write_atomic
from feedpub.records import Article, ArticleRef, Picked, Selection

OnError = Callable[[str, OSError], None]
"""Told what could not be written (``"render cache"``) and why; the run goes on without it."""


class RenderCache:
    """The last rendered bytes of each feed file, reused while their inputs are unchanged.

    Anything unusable at a cache file's name (a folder, a link, a FIFO) is replaced; when
    the folder cannot be written at all (a full disk), ``on_error`` is told once and the
    run goes on rendering without keeping anything.
    """

    def __init__(self, folder: Path, on_error: OnError | None = None) -> None:
        self.folder = Path(folder) / "feeds"
        self.reused = 0
        self.rendered = 0
        self._on_error = on_error
        self._broken = False
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
            data = read_regular(self._file(name))
        except OSError:
            return None
        if hashlib.blake2b(data, digest_size=20).digest() != entry[1]:
            return None
        self._used[name] = entry
        self.reused += 1
        return data

    def _file(self, name: str) -> Path:
        """Where the bytes of feed file ``name`` are kept: one flat folder (``archive/ai/1.atom``
        as ``archive%ai%1.atom``; no feed name holds a ``%``)."""
        return self.folder / name.replace("/", "%")

    def put(self, name: str, key: bytes, data: bytes) -> None:
        """Remember freshly rendered bytes."""
        self.rendered += 1
        if self._broken:
            return
        try:
            self._write(self._file(name), data)
        except OSError as exc:
            self._fail(exc)
            return
        self._used[name] = (key, hashlib.blake2b(data, digest_size=20).digest())

    def _write(self, path: Path, data: bytes) -> None:
        if not self.folder.is_dir() or self.folder.is_symlink():
            clear(self.folder)  # a file or a link where the feeds folder belongs
            self.folder.mkdir(parents=True, exist_ok=True)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISREG(st.st_mode):
                clear(path)  # a folder, link or FIFO: never written into or through
        # Written in place, not through a temporary file and a rename (a third of the
        # cost on some file systems): a torn or stale file fails the digest in get().
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def _fail(self, exc: OSError) -> None:
        self._broken = True
        if self._on_error is not None:
            self._on_error("render cache", exc)

    def save(self) -> None:
        """Write the manifest of this run's feeds and drop files of feeds that are gone."""
        if self._used == self._manifest or self._broken:
            return  # broken: the manifest on disk stands; the files it no longer matches fail its digests
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self._index, pack(self._used), durable=False, clobber=True)
        except OSError as exc:
            self._fail(exc)
            return
        for name in set(self._manifest) - set(self._used):
            try:
                clear(self._file(name))
            except OSError:
                pass  # dropped by a later run
