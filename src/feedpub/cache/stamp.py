"""The code stamp: one digest of everything besides the data that shapes feedpub's output.

Every cache file (the parse cache index, the render cache, the selection snapshot) and
the up-to-date stamp of ``feedpub build`` carry it, and one that does not match is
ignored and rebuilt. So a new feedpub, an edit to any of its modules, another Python or
another version of a library that shapes the output never leaves stale parse results,
feeds or selections behind.

It covers every ``*.py`` file of the package, found by walking its folder (no list to
keep up to date), by relative path, size, mtime and inode: a reinstall or an edit
rewrites the file, and Python's own bytecode cache trusts size and mtime alone. And it
covers the Python version and the libraries whose code decides the bytes of a feed or of
a parse result (feedgen, lxml, nh3, PyYAML, python-dateutil), by the same stat of their
package file, found without importing them. requests (image probing, whose answers are
never stamped) and boto3 (publishing, after every cache) are left out: upgrading them
changes no cached result. Computed once per process: about 50 stats.
"""

from __future__ import annotations

import os
import sys

from feedpub import __version__
from feedpub.blake import blake2b

LIBRARIES = ("feedgen", "lxml", "nh3", "yaml", "dateutil")
"""The libraries whose versions can change the bytes of a feed or of a parse result."""

_stamp: bytes | None = None


def _stat(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def modules(package: str) -> list[tuple[str, tuple[int, int, int] | None]]:
    """Every ``*.py`` file under the folder ``package``, by path relative to it, with its stat."""
    found = []
    cut = len(os.path.join(package, ""))  # slicing, not relpath: half the cost of the walk
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                found.append((path[cut:], _stat(path)))
    return found


def _find_origin(name: str) -> str | None:
    """The file a top-level module would be imported from, found as ``import`` finds it, not importing it.

    The finders of ``sys.meta_path`` asked in turn, as ``importlib.util.find_spec`` does;
    not that function itself: importing importlib.util loads contextlib, collections and
    functools, a few milliseconds of every cron run's start-up.
    """
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find(name, None)
        except (ImportError, ValueError):
            return None
        if spec is not None:
            origin = getattr(spec, "origin", None)
            return origin if isinstance(origin, str) else None
    return None


def _libraries() -> list[tuple[str, str | None, tuple[int, int, int] | None]]:
    found = []
    for name in LIBRARIES:
        origin = _find_origin(name)
        found.append((name, origin, _stat(origin) if origin else None))
    return found


def code_stamp() -> bytes:
    """The digest of feedpub's code, the Python version and the output-shaping libraries."""
    global _stamp
    if _stamp is None:
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        state = (__version__, sys.version, modules(package), _libraries())
        _stamp = blake2b(repr(state).encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return _stamp
