"""The record of what feedpub wrote in an output folder: ``.feedpub-written`` (JSON) inside it.

feedpub overwrites a file only when this record lists its name (or the file already
holds exactly the bytes feedpub would write): a file someone else put at a feed's
name, an article in a folder that is both source and output say, is never replaced.
The record lives in the folder itself, like the S3 target's manifest object, so it
moves, is backed up and is deleted with the files it describes; a cache folder, safe
to delete at any time, would be the wrong home. A record that is missing, damaged or
not a regular file lists nothing: the safe side (a refused file, never a lost one).
"""

from __future__ import annotations

import json
import os
import stat

RECORD_NAME = ".feedpub-written"
_VERSION = 1
_LIMIT = 16 * 1024 * 1024  # a record of that size is not one feedpub wrote


def load(root_fd: int) -> frozenset[str]:
    """The names the record in the folder open as ``root_fd`` lists (empty when there is none that can be trusted)."""
    try:
        fd = os.open(RECORD_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=root_fd)
    except OSError:
        return frozenset()  # missing, or a link (never read through)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _LIMIT:
            return frozenset()
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError):
        return frozenset()
    finally:
        os.close(fd)
    names = data.get("written") if isinstance(data, dict) and data.get("version") == _VERSION else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return frozenset()
    return frozenset(names)


def dump(names: frozenset[str]) -> bytes:
    """The record's bytes for ``names`` (sorted: the same names give the same file)."""
    body = {"version": _VERSION, "written_by": "feedpub", "written": sorted(names)}
    return (json.dumps(body, indent=1) + "\n").encode("ascii")
