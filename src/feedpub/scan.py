"""Finding article files: every match under the source folders, with its size and mtime.

Apart from the rest of the collect step, with nothing but the standard library's
lightest modules: the up-to-date check (:mod:`feedpub.uptodate`) scans before deciding
whether the rest of feedpub has to be loaded at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from stat import S_ISDIR, S_ISLNK, S_ISREG

DEFAULT_PATTERN = "*.md"
DEFAULT_EXCLUDE = ("README.md", "CHANGELOG.md", "LICENSE.md")

FileStat = tuple[str, int, int]
"""An article file as (path, size, mtime_ns): the parse cache's key."""


def _inside(path: str, root: str) -> bool:
    from pathlib import Path  # only for linked files, which are rare: pathlib costs ~9 ms to import

    try:
        Path(path).resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False
    return True


def _slash(path: str) -> str:
    return path if path.endswith(os.sep) else path + os.sep


def _is_dir(path: str) -> bool:
    try:
        return S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _path_order(item: FileStat) -> list[str]:
    # The order of pathlib paths (part by part), without building 50,000 Path objects.
    return item[0].split(os.sep)


def _listing(folder: str) -> Iterator[str]:
    try:
        # Sorted: when two names reach one file, the first name wins, every run.
        return iter(sorted(os.listdir(folder)))
    except OSError:
        return iter(())


def _name_matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a file name matches the glob ``pattern`` (as fnmatch, case as the OS has it)."""
    suffix = pattern[1:]
    if pattern.startswith("*") and not any(ch in suffix for ch in "*?[") and os.path.normcase("A") == "A":

        def _ends(name: str) -> bool:  # "*.md": no regular expression per file
            return name.endswith(suffix)

        return _ends
    import fnmatch  # and re: not needed for the usual "*.md"
    import re

    match = re.compile(fnmatch.translate(os.path.normcase(pattern))).match
    return lambda name: match(os.path.normcase(name)) is not None


def scan_article_files(
    sources: Sequence[os.PathLike[str] | str], pattern: str = DEFAULT_PATTERN, exclude: Sequence[str] = DEFAULT_EXCLUDE
) -> list[FileStat]:
    """Every article file under the sources with its size and mtime, in path order, each once.

    Hidden folders and ``_data`` are skipped and linked folders are not entered; a
    linked file that points out of its source is ignored, so a source cannot make
    feedpub read files elsewhere. One ``scandir`` per folder and one ``stat`` per file.
    Each folder is listed in name order and entered where its name falls: that is the
    order of pathlib paths (part by part), so one source's files need no sorting.
    """
    matches = _name_matcher(pattern)
    suffix = pattern[1:] if matches.__name__ == "_ends" else None
    skip = set(exclude)
    found: list[FileStat] = []
    add = found.append
    lstat, sep = os.lstat, os.sep
    # Real paths already taken, to keep one name per file: only needed when two names
    # can reach one file, i.e. with several sources or once a link has been seen.
    seen: set[str] | None = set() if len(sources) > 1 else None
    for source in sources:
        given = os.fspath(source)
        real = root = os.path.realpath(given)
        # Depth first with an explicit stack (no recursion limit for deep trees): each
        # frame is a folder's remaining names, its path as given and its real path,
        # each with a separator at the end. One lstat per name says what it is and
        # gives a plain file's size and mtime; no DirEntry or stat objects are kept.
        stack = [(_listing(given), _slash(given), _slash(real))]
        while stack:
            names, folder, prefix = stack[-1]
            for name in names:
                path = folder + name
                try:
                    st = lstat(path)
                    mode = st.st_mode
                except OSError:
                    st, mode = None, 0
                if S_ISREG(mode):
                    # The common case, kept short: a plain file (no link, no folder).
                    if not (name.endswith(suffix) if suffix is not None else matches(name)) or name in skip:
                        continue
                    if seen is not None:
                        if prefix + name in seen:
                            continue
                        seen.add(prefix + name)
                    add((path, st.st_size, st.st_mtime_ns))  # type: ignore[union-attr]
                    continue
                if S_ISDIR(mode):
                    if not name.startswith(".") and name != "_data":
                        stack.append((_listing(path), path + sep, prefix + name + sep))
                        break  # this folder's entries first; the rest of ours after
                    continue
                if S_ISLNK(mode) and _is_dir(path):
                    continue  # linked folders are not entered
                if not matches(name) or name in skip:
                    continue
                if S_ISLNK(mode):
                    if not _inside(path, root):
                        continue
                    if seen is None:
                        seen = {os.path.realpath(p) for p, _, _ in found}
                    resolved = os.path.realpath(path)
                    try:
                        st = os.stat(path)
                    except OSError:
                        st = None
                else:
                    resolved = prefix + name  # a FIFO, a device, or gone: reading it will say why
                if seen is not None:
                    if resolved in seen:
                        continue
                    seen.add(resolved)
                add((path, st.st_size, st.st_mtime_ns) if st is not None else (path, -1, -1))
            else:
                stack.pop()
    if len(sources) > 1:
        found.sort(key=_path_order)
    return found
