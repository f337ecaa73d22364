"""Finding article files: every match under the source folders, with its size and mtime.

Apart from the rest of the collect step, with nothing but the standard library's
lightest modules: the up-to-date check (:mod:`feedpub.cache.uptodate`) scans before deciding
whether the rest of feedpub has to be loaded at all.

The scan is a stream: files come one at a time in a fixed order and nothing here keeps
a list of them, so memory does not grow with the archive. The order is the order of
the paths part by part (as pathlib sorts them), or its exact reverse with
``newest_first`` (file names start with their date, so that gives the newest first).
"""

from __future__ import annotations

import heapq
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice, pairwise
from stat import S_ISDIR, S_ISLNK, S_ISREG

from feedpub.blake import blake2b

DEFAULT_PATTERN = "*.md"
DEFAULT_EXCLUDE = ("README.md", "CHANGELOG.md", "LICENSE.md")

FileStat = tuple[str, int, int]
"""An article file as (path, size, mtime_ns): the parse cache's key."""


def _inside(path: str, root: str) -> bool:
    from pathlib import (
        Path,  # only for linked files, which are rare: pathlib costs ~9 ms to import
    )

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


def path_order(path: str) -> list[str]:
    """The sort key of the scan's order: a path part by part (pathlib's order, without Path objects)."""
    return path.split(os.sep)


def _entry_order(item: FileStat) -> list[str]:
    return path_order(item[0])


_PLAIN = 16_384
"""A folder with fewer names than this is listed as a plain sorted list."""
_RUN = 4_096
"""Names sorted and compressed at a time when listing a larger folder (see :func:`_listing`)."""


def _listing(folder: str, reverse: bool) -> Iterator[str]:
    """A folder's names, sorted (when two names reach one file, the choice is the same every run).

    A large folder (a news site may keep every article in one) is read in runs of
    :data:`_RUN` names, each sorted and kept compressed, and the runs are merged:
    sorted names share much (dates, words), so under 20 bytes a name instead of a
    list of string objects (over 100 bytes each for the usual long slugs).
    """
    try:
        with os.scandir(folder) as it:
            names = [entry.name for entry in islice(it, _PLAIN)]
            if len(names) < _PLAIN:
                names.sort(reverse=reverse)
                return iter(names)
            runs = [_run(names[i : i + _RUN], reverse) for i in range(0, len(names), _RUN)]
            del names
            while chunk := [entry.name for entry in islice(it, _RUN)]:
                runs.append(_run(chunk, reverse))
    except OSError:
        return iter(())
    return heapq.merge(*map(_names, runs), reverse=reverse)


def _run(names: list[str], reverse: bool) -> bytes:
    names.sort(reverse=reverse)
    # No name holds a NUL; fsencode keeps names that are not UTF-8 as they are.
    return zlib.compress(os.fsencode("\0".join(names)), 1)


def _names(run: bytes) -> Iterator[str]:
    """The names of one run, a few at a time (decompressing it whole would make the list again)."""
    unzip = zlib.decompressobj()
    view, rest = memoryview(run), b""
    # The run is fed in slices of a view (no copy), not through decompress's
    # max_length: its unconsumed_tail would be a new copy of the rest of the run at
    # every step, one per run alive in the merge (twice the runs' size at 200,000 names).
    for start in range(0, len(run), _FEED):
        rest += unzip.decompress(view[start : start + _FEED])
        cut = rest.rfind(b"\0")
        if cut >= 0:
            yield from os.fsdecode(rest[:cut]).split("\0")
            rest = rest[cut + 1 :]
    yield from os.fsdecode(rest + unzip.flush()).split("\0")


_FEED = 512
"""Compressed bytes of a run decompressed at a time (sorted names shrink to a fifth or less: a few KB out)."""


def large_folder(sources: Sequence[os.PathLike[str] | str]) -> bool:
    """Whether a source folder itself looks large (its directory file is over 32 KB).

    A cheap hint, before any listing, of a source with more than a few hundred files
    in one folder; file systems size directories differently, so it is only a hint.
    """
    for source in sources:
        try:
            if os.stat(source).st_size > 32_768:
                return True
        except OSError:
            pass
    return False


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


class _Rules:
    """What the scan takes: which names match, which are skipped."""

    def __init__(self, pattern: str, exclude: Sequence[str]) -> None:
        self.matches = _name_matcher(pattern)
        self.suffix = pattern[1:] if self.matches.__name__ == "_ends" else None
        self.skip = set(exclude)

    def takes(self, name: str) -> bool:
        return self.matches(name) and name not in self.skip

    def reaches(self, real: str, root: str) -> bool:
        """Whether the scan of ``root`` finds the file at real path ``real`` under its own name."""
        rel = os.path.relpath(real, root)
        parts = rel.split(os.sep)
        if rel.startswith(os.pardir) or any(p.startswith(".") or p == "_data" for p in parts[:-1]):
            return False
        try:
            regular = S_ISREG(os.lstat(real).st_mode)
        except OSError:
            return False
        return regular and self.takes(parts[-1])


class OrderMatters(Exception):
    """An unordered scan met a second link to one file: which of its names counts depends on the order."""


def _unordered(folder: str) -> Iterator[str]:
    """A folder's names as the file system lists them: nothing kept, nothing sorted."""
    try:
        with os.scandir(folder) as it:
            for entry in it:
                yield entry.name
    except OSError:
        return


def _scan_one(source: str, rules: _Rules, reverse: bool, ordered: bool = True) -> Iterator[FileStat]:
    """The files of one source folder, in order (``ordered``), else in the file system's own order.

    Unordered, the same files come (in no fixed order, with no listing kept in memory),
    except that a second link to one file raises :class:`OrderMatters`.
    """
    root = os.path.realpath(source)
    # Depth first with an explicit stack (no recursion limit for deep trees): each
    # frame is a folder's remaining names and its path as given, with a separator at
    # the end. Entering each folder where its name falls gives pathlib's order (or its
    # reverse) with no sorting of paths. One lstat per name says what it is and gives a
    # plain file's size and mtime; no DirEntry or stat objects are kept.
    # The first few levels of folders are also open while their names are looked at:
    # an lstat of a name in an open folder walks one path component, not every one of
    # a deep path (a fifth of each lstat's cost at ten levels). Deeper (see _HELD), or
    # when a folder cannot be opened, by path.

    def listing(folder: str, held: int | None) -> Iterator[str]:
        if ordered:
            return _listing(folder, reverse)
        # Streamed while the folder is open anyway; one not held open is listed at once,
        # so that a deep tree keeps few descriptors.
        return _unordered(folder) if held is not None else _names_of(folder)

    held = _open_folder(source)
    stack = [(listing(source, held), _slash(source), held)]
    try:
        yield from _walk(stack, listing, root, rules, ordered)
    finally:
        for _, _, fd in stack:
            if fd is not None:
                os.close(fd)


_HELD = 6
"""Folders deeper than this are looked at by path and (unordered) listed whole: a deep
tree never holds more than a few descriptors open, so it never runs out of them."""


def _names_of(folder: str) -> Iterator[str]:
    """A folder's names, listed at once (its descriptor closed before the first is looked at)."""
    try:
        return iter(os.listdir(folder))
    except OSError:
        return iter(())


def _open_folder(path: str) -> int | None:
    """A descriptor of the folder at ``path`` (for lstat by name), or None."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None


_Frame = tuple[Iterator[str], str, int | None]
"""A folder being scanned: its remaining names, its path with a separator, its descriptor (or None)."""


def _walk(
    stack: list[_Frame], listing: Callable[[str, int | None], Iterator[str]], root: str, rules: _Rules, ordered: bool
) -> Iterator[FileStat]:
    """The loop of :func:`_scan_one`: pushes and pops ``stack`` (its caller closes what is left open)."""
    suffix, matches, skip = rules.suffix, rules.matches, rules.skip
    lstat, sep = os.lstat, os.sep
    # Real paths of linked files already taken (a link's target read once); no set
    # of every file: a file under its own name is never a duplicate.
    linked: set[str] = set()
    while stack:
        names, folder, fd = stack[-1]
        for name in names:
            path = folder + name
            try:
                st = lstat(path) if fd is None else lstat(name, dir_fd=fd)
                mode = st.st_mode
            except OSError:
                st, mode = None, 0
            if S_ISREG(mode):
                # The common case, kept short: a plain file (no link, no folder).
                if (name.endswith(suffix) if suffix is not None else matches(name)) and name not in skip:
                    yield (path, st.st_size, st.st_mtime_ns)  # type: ignore[union-attr]
                continue
            if S_ISDIR(mode):
                if not name.startswith(".") and name != "_data":
                    held = _open_folder(path) if len(stack) < _HELD else None
                    stack.append((listing(path, held), path + sep, held))
                    break  # this folder's entries first; the rest of ours after
                continue
            if S_ISLNK(mode) and _is_dir(path):
                continue  # linked folders are not entered
            if not rules.takes(name):
                continue
            if S_ISLNK(mode):
                if not _inside(path, root):
                    continue  # a link out of the source is never followed
                target = os.path.realpath(path)
                # A file reached by a link is read once: under its own name when the
                # scan finds it there too, else under the first link met.
                if target in linked and not ordered:
                    raise OrderMatters(path)
                if target in linked or rules.reaches(target, root):
                    continue
                linked.add(target)
                try:
                    st = os.stat(path)
                except OSError:
                    st = None
            # else a FIFO, a device, or gone: reading it will say why
            yield (path, st.st_size, st.st_mtime_ns) if st is not None else (path, -1, -1)
        else:
            done = stack.pop()[2]
            if done is not None:
                os.close(done)


def _overlapping(roots: Sequence[str]) -> bool:
    ordered = sorted(_slash(r) for r in roots)
    return any(b.startswith(a) for a, b in pairwise(ordered))


def iter_article_files(
    sources: Sequence[os.PathLike[str] | str],
    pattern: str = DEFAULT_PATTERN,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    *,
    newest_first: bool = False,
) -> Iterator[FileStat]:
    """Every article file under the sources with its size and mtime, in path order, each once.

    Hidden folders and ``_data`` are skipped and linked folders are not entered; a
    linked file that points out of its source is ignored, so a source cannot make
    feedpub read files elsewhere. One listing per folder and one ``lstat`` per name.
    ``newest_first`` gives the reverse order. Several sources are merged into one order;
    sources nested in each other (rare) are deduplicated with a set of every file.
    """
    rules = _Rules(pattern, exclude)
    given = [os.fspath(s) for s in sources]
    if len(given) == 1:
        yield from _scan_one(given[0], rules, newest_first)
        return
    streams = [_scan_one(s, rules, newest_first) for s in given]
    merged = heapq.merge(*streams, key=_entry_order, reverse=newest_first)
    roots = [os.path.realpath(s) for s in given]
    if not _overlapping(roots):
        # Separate folders: a file can be reached from one source only.
        yield from merged
        return
    seen: set[str] = set()
    for item in merged:
        real = os.path.realpath(item[0])
        if real not in seen:
            seen.add(real)
            yield item


class Tally:
    """Counts and digests the files of a scan as they pass, so no list of them is kept.

    The digest covers every path, size and mtime in order: two scans with the same
    digest found the same files unchanged. ``marks`` holds the digest so far after
    every :data:`MARK_EVERY` files; given the marks of an earlier scan as ``expect``,
    the tally stops at the first mark that differs (``differs`` is then True), so a
    check that files are unchanged ends at the first block that is not.
    """

    MARK_EVERY = 1024

    def __init__(self, files: Iterable[FileStat], expect: Sequence[bytes] | None = None) -> None:
        self._files = iter(files)
        self._hash = blake2b(digest_size=20)
        self._expect = expect
        self.count = 0
        self.marks: list[bytes] = []
        self.differs = False
        self.sum = 0
        """The order-free sum of the files seen so far (see :func:`unordered_digest`)."""

    def __iter__(self) -> Iterator[FileStat]:
        update, every, expect = self._hash.update, self.MARK_EVERY, self._expect
        for item in self._files:
            self.count += 1
            line = _line(*item)
            update(line)
            self.sum += _mix(line)
            yield item
            if self.count % every == 0:
                mark = self._hash.digest()
                if expect is not None and (len(self.marks) >= len(expect) or expect[len(self.marks)] != mark):
                    self.differs = True
                    return
                self.marks.append(mark)

    def digest(self) -> bytes:
        """The digest of the files seen so far."""
        return self._hash.digest()

    def unordered_digest(self) -> bytes:
        """The digest of the files seen so far whatever their order: what :func:`unordered_digest` gives."""
        return _seal(self.sum, self.count)


def _line(path: str, size: int, mtime_ns: int) -> bytes:
    """A file as both digests take it: its path, size and mtime."""
    return f"{path}\0{size}\0{mtime_ns}\n".encode("utf-8", "surrogatepass")


def _mix(line: bytes) -> int:
    """A file's share of the order-free digest: 128 bits of its line's BLAKE2b."""
    return int.from_bytes(blake2b(line, digest_size=16).digest(), "little")


def _seal(total: int, count: int) -> bytes:
    return blake2b(f"{total % (1 << 128)}\0{count}".encode(), digest_size=20).digest()


def unordered_digest(
    sources: Sequence[os.PathLike[str] | str],
    pattern: str = DEFAULT_PATTERN,
    *,
    changed_after_ns: int | None = None,
    now_ns: int | None = None,
) -> tuple[bytes, int] | None:
    """``(digest, count)`` of the files a scan finds, whatever their order; None at a file changed lately.

    The same files (paths, sizes and mtimes) give the same digest however the file system
    lists them: each file adds a 128-bit hash of its line to a sum. So no folder's names
    are kept or sorted, and memory stays the same however many files there are, where
    the ordered scan keeps every name of a folder to sort them. A file with an mtime
    after ``changed_after_ns`` and not after ``now_ns`` (written since the build that
    stored the digest, and not dated in the future) ends the scan at once: the digest
    would differ anyway. Sources that overlap, or two links to one file, need the
    order; the ordered scan is taken for them.
    """
    given = [os.fspath(s) for s in sources]
    if len(given) == 1 or not _overlapping([os.path.realpath(s) for s in given]):
        rules = _Rules(pattern, DEFAULT_EXCLUDE)
        # Without both bounds, a window no mtime falls in.
        after, until = (changed_after_ns, now_ns) if changed_after_ns is not None and now_ns is not None else (0, 0)
        total = count = 0
        try:
            for source in given:
                for path, size, mtime in _scan_one(source, rules, False, ordered=False):
                    if after < mtime <= until:
                        return None
                    total += _mix(_line(path, size, mtime))
                    count += 1
            return _seal(total, count), count
        except OrderMatters:
            pass
    tally = scan_digest(given, pattern)  # sources inside each other, or two links to one file
    return tally.unordered_digest(), tally.count


def newest_first(
    sources: Sequence[os.PathLike[str] | str],
    pattern: str = DEFAULT_PATTERN,
    *,
    expect: Sequence[bytes] | None = None,
) -> Tally:
    """A :class:`Tally` over the newest-first scan: the order of the parse cache and the stamps."""
    return Tally(iter_article_files(sources, pattern, newest_first=True), expect)


def scan_digest(
    sources: Sequence[os.PathLike[str] | str],
    pattern: str = DEFAULT_PATTERN,
    *,
    expect: Sequence[bytes] | None = None,
) -> Tally:
    """A :class:`Tally` of a whole newest-first scan (or up to the first mark not in ``expect``)."""
    tally = newest_first(sources, pattern, expect=expect)
    for _ in tally:
        pass
    return tally
