"""The up-to-date check of ``feedpub build``: nothing it reads changed, so nothing to do.

Cron runs a build every few minutes and most runs find nothing new. Like ``make``,
a build leaves a stamp of everything its output depends on, and the next identical
command compares before doing any work; most of feedpub (selection, rendering,
feedgen, YAML) is not even imported then. The stamp is kept per command line and
working folder in the user cache folder (``$XDG_CACHE_HOME/feedpub/builds``, else
``~/.cache/feedpub/builds``), and a run whose stamp does not match is a normal build.

A build is up to date when all of these are as the stamp has them:

- the command line and working folder (the stamp's name);
- the code stamp (:mod:`feedpub.cache.stamp`, which every cache file carries too):
  feedpub's modules, the Python version and the libraries that shape the output;
- the config file that applied (its size and mtime; one appearing or vanishing counts);
- every article file (path, size and mtime, as the parse cache checks them) and every
  topic definition file;
- the clock: not earlier than the stamp's build, and before the first moment an
  article falls due or ages out of a feed;
- every file the build wrote: size, mtime and inode, so a feed edited or deleted by
  hand is rewritten.

Builds with image probing on are never stamped: the network answers can change. The
report of an up-to-date run is the stamped one with the counts of this run (nothing
written, everything unchanged, no rejected file new) and ``"up_to_date": true``.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from collections.abc import Sequence
from stat import S_ISREG

from feedpub import __version__, colour
from feedpub.blake import blake2b
from feedpub.cache.stamp import code_stamp
from feedpub.collect.scan import unordered_digest
from feedpub.config_file import CANDIDATES, discover

# typing.TYPE_CHECKING without importing typing: the up-to-date check of a cron run
# loads this module, and typing (with re, enum, functools) is about 5 ms of start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STAMP_VERSION = 5
_MARSHAL = 4


def stamp_file(argv: Sequence[str], cwd: str | None = None) -> str | None:
    """Where the stamp of this command line (run in ``cwd``, under this environment's
    ``FEEDPUB_`` variables, which override config keys) is kept, or None if nowhere."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None  # no usable home (some cron setups): no stamps
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("FEEDPUB_"))
    key = blake2b(repr((cwd or os.getcwd(), list(argv), env)).encode("utf-8", "surrogatepass"), digest_size=16)
    return os.path.join(base, "feedpub", "builds", key.hexdigest() + ".bin")


def _stat(path: str, follow: bool = True) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def topic_files(sources: Sequence[str]) -> list[tuple[str, tuple[int, int, int] | None]]:
    """The topic definition files the collect step reads, with their stats."""
    out = []
    for source in sources:
        folder = os.path.join(source, "_data", "topics")
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if name.endswith("ml") and ".y" in name[:-2]:  # the glob "*.y*ml" that collect uses
                path = os.path.join(folder, name)
                out.append((path, _stat(path)))
    return out


changed_files: tuple[tuple[str, ...], str] | None = None
"""``(sources, pattern)`` when the last :func:`check` in this process found article files
changed since the stamped build.

A build that goes on after that check takes it (once) instead of scanning again to
compare its files with those of a stored selection (see ``build_select``)."""


def config_state(config_path: str | None) -> tuple[str, tuple[int, int, int] | None]:
    """The config file a run with this command line reads (or would read), and its stat.

    Without ``--config`` that is the first candidate present, so one appearing before
    it (or it vanishing) changes the state; with none present, the first candidate.
    """
    path = config_path or discover() or CANDIDATES[0]
    return (os.path.abspath(path), _stat(path))


def output_state(paths: Sequence[str]) -> list[tuple[str, tuple[int, int, int] | None]]:
    """Each written file with its stat, not following links."""
    return [(p, _stat(p, follow=False)) for p in paths]


def _now_us() -> int:
    """The clock, in microseconds since 1970: the one place a run reads it (the build too,
    through ``cli``), so the stamp's check and the build it stamps agree on the time."""
    return time.time_ns() // 1000


def save(path: str, stamp: dict[str, Any]) -> None:
    """Write a stamp atomically: a reader never sees half of one."""
    # Imported here: a save follows a build, which has loaded pathlib and tempfile
    # already, while the up-to-date check (find) must not pay for them.
    from pathlib import Path

    from feedpub.files import write_atomic

    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(Path(path), marshal.dumps(stamp, _MARSHAL), durable=False, clobber=True)


def load(path: str) -> dict[str, Any] | None:
    """A stamp written by this version of feedpub, or None (also for a folder or FIFO at its name)."""
    # Not files.read_regular: this runs on every cron run before anything else, and that
    # module's imports (shutil, secrets, pathlib) would cost the no-change run its start-up.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not hang the check
        with os.fdopen(fd, "rb") as fh:
            if not S_ISREG(os.fstat(fd).st_mode):
                return None
            stamp = marshal.loads(fh.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(stamp, dict) or stamp.get("version") != (STAMP_VERSION, __version__):
        return None
    return stamp


def new_stamp(
    *,
    config_path: str | None,
    quiet: bool,
    json: bool,
    sources: Sequence[str],
    pattern: str,
    files_digest: bytes,
    now_us: int,
    valid_until_us: int | None,
    outputs: Sequence[str],
    report: dict[str, Any],
) -> dict[str, Any]:
    """What :func:`check` compares, taken right after a build wrote its files."""
    return {
        "version": (STAMP_VERSION, __version__),
        "code": code_stamp(),
        "config_path": config_path,
        "config": config_state(config_path),
        "quiet": quiet,
        "json": json,
        "sources": list(sources),  # as given: relative ones are relative to the same folder
        "pattern": pattern,
        "topic_files": topic_files(sources),
        "files": files_digest,  # order-free (collect.scan.unordered_digest)
        "now": now_us,
        "valid_until": valid_until_us,
        "outputs": output_state([os.path.abspath(p) for p in outputs]),
        "report": report,
    }


def check(stamp: dict[str, Any]) -> tuple[dict[str, Any], int] | None:
    """``(report, number of article files)`` if the stamped build is still up to date, else None.

    Cheap checks first; the scan of the article files (a stat per file) comes last.
    """
    try:
        now = _now_us()
        until = stamp["valid_until"]
        if now < stamp["now"] or (until is not None and now >= until):
            return None
        if tuple(stamp["config"]) != config_state(stamp["config_path"]):
            return None
        if [tuple(o) for o in stamp["outputs"]] != output_state([o[0] for o in stamp["outputs"]]):
            return None
        sources = stamp["sources"]
        if [tuple(t) for t in stamp["topic_files"]] != topic_files(sources):
            return None
        if stamp["code"] != code_stamp():
            return None
        global changed_files
        # In the file system's order, keeping nothing: a file written since the build
        # ends the scan at once, and memory is the same for ten files or a million.
        found = unordered_digest(sources, stamp["pattern"], changed_after_ns=stamp["now"] * 1000, now_ns=now * 1000)
        if found is None or found[0] != stamp["files"]:
            changed_files = (tuple(sources), stamp["pattern"])
            return None
        return stamp["report"], found[1]
    except (KeyError, TypeError, ValueError, IndexError):
        return None  # a stamp of another shape: not trusted


def replay(stamp: dict[str, Any], files: int, started: float) -> int:
    """Report an up-to-date build as the stamped one did, with this run's counts; the exit status.

    Its problems are printed again (they still hold), but not its rejected files: nothing
    changed, so none is new, and cron is told of a broken file once. The one-line
    summary is for a terminal only, as in a full build.
    """
    from feedpub import report as out

    stamped = stamp["report"]
    body = stamped["summary"]
    output = body["output"]
    output["unchanged"] = output["written"] + output["unchanged"]
    output["written"] = 0
    output["deleted"] = 0
    for rejection in body["articles"]["rejected"]:
        rejection["new"] = False
    cache = body.get("cache")
    if isinstance(cache, dict):
        cache.update(hits=files, parsed=0, dropped=0)
        if cache.get("feeds_rendered") is not None:
            cache["feeds_reused"] = (cache.get("feeds_reused") or 0) + cache["feeds_rendered"]
            cache["feeds_rendered"] = 0
    body["timings"] = {"up_to_date_check": round(time.perf_counter() - started, 4)}
    body["up_to_date"] = True
    status = int(stamped["status"])
    paint = colour.for_stderr(str(stamped.get("color", "auto")))  # a stamp from before --color: auto
    for line in stamped["warnings"]:
        print(paint.problem(line), file=sys.stderr)
    if stamp["json"]:
        duration = time.perf_counter() - started
        out.print_json(out.envelope("build", body, status=status, error=None, warnings=stamped["warnings"], duration=duration))
    elif not stamp["quiet"] and out.on_terminal():
        print(f"feedpub: {out.build_line(body)}", file=sys.stderr)
    return status


def find(argv: Sequence[str]) -> tuple[dict[str, Any], int, float] | None:
    """``(stamp, article files, start time)`` if ``feedpub build ARGV`` is up to date, else None."""
    global changed_files
    started = time.perf_counter()
    changed_files = None
    path = stamp_file(argv)
    stamp = load(path) if path else None
    if stamp is None:
        return None
    found = check(stamp)
    if found is None:
        return None
    return stamp, found[1], started
