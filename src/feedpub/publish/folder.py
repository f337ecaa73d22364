"""A local folder as the publish target: atomic writes, unchanged files left alone."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from feedpub.errors import PublishError
from feedpub.files import write_atomic
from feedpub.publish import Progress
from feedpub.records import OutputFile, PublishResult


class FolderTarget:
    """Writes feeds into one folder; a file whose bytes are already there is not touched.

    Leaving unchanged files alone keeps their mtime, so a web server in front of the
    folder keeps answering conditional GETs with 304.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._real: Path | None = None

    def describe(self) -> str:
        return str(self.root)

    def _path(self, name: str) -> Path:
        if self._real is None:
            self._real = self.root.resolve()
        root = self._real
        if "/" not in name and os.sep not in name and name not in ("", ".", ".."):
            path = root / name
            if not path.is_symlink():
                return path  # a plain name in the folder: no need to resolve it
        path = (root / name).resolve()
        if path.parent != root and root not in path.parents:
            raise PublishError(f"{self.root}: refusing to write {name!r} outside the folder")
        return path

    def publish(
        self,
        files: Sequence[OutputFile],
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> PublishResult:
        uploaded: list[str] = []
        unchanged: list[str] = []
        if not dry_run:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise PublishError(f"{self.root}: cannot create the output folder: {exc.strerror}") from exc
        ordered = sorted(files, key=lambda f: (f.group, f.name))
        for done, item in enumerate(ordered, 1):
            path = self._path(item.name)
            try:
                same = path.is_file() and path.stat().st_size == len(item.data) and path.read_bytes() == item.data
            except OSError:
                same = False
            if same:
                unchanged.append(item.name)
            else:
                if not dry_run:
                    try:
                        path.parent.mkdir(parents=True, exist_ok=True)
                        write_atomic(path, item.data)
                    except OSError as exc:
                        raise PublishError(f"{path}: cannot write: {exc.strerror or exc}") from exc
                uploaded.append(item.name)
            if progress:
                progress(done, len(ordered))
        return PublishResult(uploaded=tuple(uploaded), unchanged=tuple(unchanged))
