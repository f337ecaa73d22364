"""Finding article files: every match under the source folders, with its size and mtime.

Apart from the rest of the collect step, with nothing but the standard library's
lightest modules: the up-to-date check (:mod:`feedpub.uptodate`) scans before deciding
whether the rest of feedpub has to be loaded at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter

DEFAULT_PATTERN = "*.md"
DEFAULT_EXCLUDE = ("README.md", "CHANGELOG.md", "LICENSE.md")
_NAME = attrgetter("name")

FileStat = tuple[str, int, int]
"""An article file as (path, size, mtime_ns): the parse cache's key."""


def _inside(path: str, root: str) -> bool:
    from pathlib import Path  # only for linked files, which are rare: pathlib costs ~9 ms to import

    try:
        Path(path).resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False
    return True


def _path_order(item: FileStat) -> list[str]:
    # The order of pathlib paths (part by part), without building 50,000 Path objects.
    return item[0].split(os.sep)


def _listing(folder: str) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            # Sorted: when two names reach one file, the first name wins, every run.
            return iter(sorted(it, key=_NAME))
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
    seen: set[str] = set()
    for source in sources:
        real = root = os.path.realpath(source)
        # Depth first with an explicit stack (no recursion limit for deep trees): each
        # frame is a folder's remaining entries and its real path + separator.
        stack = [(_listing(os.fspath(source)), real if real.endswith(os.sep) else real + os.sep)]
        while stack:
            entries, prefix = stack[-1]
            for entry in entries:
                name = entry.name
                try:
                    regular = entry.is_file(follow_symlinks=False)
                except OSError:
                    regular = False
                if regular:
                    # The common case, kept short: a plain file (no link, no folder).
                    if not (name.endswith(suffix) if suffix is not None else matches(name)) or name in skip:
                        continue
                    resolved = prefix + name
                else:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if is_dir:
                        if not entry.is_symlink() and not name.startswith(".") and name != "_data":
                            stack.append((_listing(entry.path), prefix + name + os.sep))
                            break  # this folder's entries first; the rest of ours after
                        continue
                    if not matches(name) or name in skip:
                        continue
                    if entry.is_symlink():
                        if not _inside(entry.path, root):
                            continue
                        resolved = os.path.realpath(entry.path)
                    else:
                        resolved = prefix + name  # a FIFO or device: reading it will refuse it
                if resolved in seen:
                    continue
                seen.add(resolved)
                try:
                    st = entry.stat()
                    add((entry.path, st.st_size, st.st_mtime_ns))
                except OSError:
                    add((entry.path, -1, -1))  # reading it will say why
            else:
                stack.pop()
    if len(sources) > 1:
        found.sort(key=_path_order)
    return found
