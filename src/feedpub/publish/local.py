"""A local folder as the publish target: atomic writes, unchanged files left alone."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from feedpub.errors import PublishError
from feedpub.publish import Progress
from feedpub.records import OutputFile, PublishResult


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Readers (and a web server) see the old file or the new one, never a partial one,
    even when the disk fills up or the process is killed mid-write.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class FolderTarget:
    """Writes feeds into one folder; a file whose bytes are already there is not touched.

    Leaving unchanged files alone keeps their mtime, so a web server in front of the
    folder keeps answering conditional GETs with 304.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        root = self.root.resolve()
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
