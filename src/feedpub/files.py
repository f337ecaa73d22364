"""Writing files so that a reader never sees a partial one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path


def write_atomic(path: Path, data: bytes | Sequence[bytes], *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Readers (and a web server) see the old file or the new one, never a partial one,
    even when the disk fills up or the process is killed mid-write. ``data`` may be
    several chunks, written in order (no joined copy of a large file). ``durable`` also
    syncs the data to disk first: wanted for published feeds, not for caches, which
    are rebuilt when damaged.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in (data,) if isinstance(data, bytes) else data:
                fh.write(chunk)
            if durable:
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
