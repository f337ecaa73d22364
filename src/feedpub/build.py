"""One build: files -> collect -> select -> render -> write, with the caches a run keeps.

The commands call :func:`run` (``build``; ``serve`` through
:func:`feedpub.serve.preview`), :func:`collect_and_select` (``topics``), :func:`check`
(``check``) and :func:`feedpub.build_publish.publish` (``publish``), then print what
they return. This module and its stage helpers open and save every cache (parse
cache, selection snapshot, render cache, image probe) so no caller has to know them;
the up-to-date stamp is left by :func:`save_stamp`, which ``build`` calls once it has
printed, because the stamp replays what was printed.

The clock is a parameter (``now``): what is due, what has aged out and how long a
stored selection or stamp stays valid all follow it, so a test sets the time instead
of waiting for it. Problems that do not stop a build go to the ``warn`` callback and
rejected files to ``on_rejection``, as they happen; nothing is kept in module state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from feedpub.build_render import render_all
from feedpub.build_report import Note, extra_files, feeds, no_note, nothing_selected, rejection_json, topic_json
from feedpub.build_select import Checked, Selected, check_articles
from feedpub.build_select import collect_and_select as _collect_and_select
from feedpub.cache import uptodate
from feedpub.cache.folder import open_cache
from feedpub.cache.parsed import ParseCache
from feedpub.config import Config
from feedpub.errors import ConfigError, FeedpubError
from feedpub.progress import Progress
from feedpub.publish.folder import FolderTarget
from feedpub.publish.lock import acquire_lock, lock_file
from feedpub.records import HELD_REASONS, Extras, OutputFile, PublishResult, Rejection
from feedpub.select import Rules, SelectResult
from feedpub.sigterm import stop_on_sigterm
from feedpub.text import printable
from feedpub.times import micros

Warn = Callable[[str], None]
"""Called with each problem that does not stop the build (one line, no prefix)."""
OnRejection = Callable[[Rejection], None]
"""Called with each file that could not be used, in path order, once selection is done."""

if TYPE_CHECKING:
    from feedpub.deadline import Deadline  # socket and threading: only a publish needs them
    from feedpub.publish.purge import Purged


@dataclass(frozen=True, slots=True)
class Overrides:
    """Selection rules given on the command line; each one given wins over the config for every feed."""

    min_quality: float | None = None
    max_items: int | None = None
    include_unpublished: bool = False


@dataclass(frozen=True, slots=True)
class CacheStats:
    """What the caches saved this run: files found parsed, parsed now, dropped; feeds reused and rendered."""

    folder: str
    hits: int
    parsed: int
    dropped: int
    feeds_reused: int | None = None
    feeds_rendered: int | None = None


@dataclass(frozen=True, slots=True)
class Published:
    """What a publish did: the target (named without secrets, for messages; ``where`` as
    fields, for ``--json``), what it did with each file, the WebSub hubs that failed,
    and the error that stopped it, if one did."""

    target: str
    dry_run: bool
    result: PublishResult
    websub_problems: tuple[str, ...] = ()
    failure: FeedpubError | None = None
    where: dict[str, str] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    """Name -> where it went (``s3://BUCKET/KEY`` or a path) for every file uploaded or deleted."""
    purged: Purged | None = None
    """The CDN purges sent after the publish; None when none were configured or the publish failed."""

    def actions(self) -> list[dict[str, str]]:
        """One ``{"action", "name", "location"}`` per upload, then per delete, as done (or, in a dry run, as it would be)."""
        return [
            {"action": action, "name": name, "location": self.locations.get(name, name)}
            for action, names in (("upload", self.result.uploaded), ("delete", self.result.deleted))
            for name in names
        ]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Everything one build found and did, for the report, the exit status and the stamp.

    ``files`` is empty when nothing was rendered (``topics``); ``written`` is set once
    the files were written into the output folder, ``published`` once they were
    published. ``files_stamp`` and ``valid_until`` are what the up-to-date stamp
    compares on the next run.
    """

    config: Config
    now: datetime
    read: int
    rejected: tuple[Rejection, ...]
    selected: SelectResult
    timings: tuple[tuple[str, float], ...]
    cache: CacheStats | None = None
    files: tuple[OutputFile, ...] = ()
    written: PublishResult | None = None
    published: Published | None = None
    files_stamp: bytes = b""
    valid_until: datetime | None = None
    extras: Extras = field(default_factory=Extras)
    """The archive documents and top-stories feeds (their files are listed per topic in ``--json``)."""


def ignore(_: object) -> None:
    """The default ``warn`` and ``on_rejection``: a caller that does not ask is not told."""


def rules_for(config: Config, overrides: Overrides) -> Callable[[str], Rules]:
    """Per-topic rules with the command-line overrides applied on top (overrides win)."""

    def rules(key: str) -> Rules:
        found = config.rules_for(key)
        if overrides.min_quality is not None:
            found = replace(found, min_quality=overrides.min_quality)
        if overrides.max_items is not None:
            found = replace(found, max_items=overrides.max_items)
        if overrides.include_unpublished:
            found = replace(found, include_unpublished=True)
        return found

    return rules


def _select(
    config: Config,
    overrides: Overrides,
    now: datetime,
    cache: ParseCache | None,
    progress: Progress,
    warn: Warn,
    on_rejection: OnRejection,
    *,
    writes: bool = False,
    note: Note = no_note,
) -> Selected:
    """Collect and select, then report what the feeds will miss; ``writes``: refuse to empty them."""
    selected = _collect_and_select(config, rules_for(config, overrides), now, cache, progress, warn, note)
    for pick in feeds(selected.result):
        note("selected", f"{pick.topic.slug}: {len(pick.items)} of {pick.total} articles")
    for r in selected.rejected:
        on_rejection(r)
    if writes and selected.read and not selected.result.accepted:
        # Every file unusable (a broken scraper, an encoding change): empty feeds
        # published would be worse than the last good ones, which stay.
        raise ConfigError(
            f"none of the {selected.read} article files could be used (every one was rejected); "
            "nothing written, the last feeds are kept"
        )
    line = nothing_selected(selected.result, selected.read)
    if line is not None:
        warn(line)
    return selected


def _result(
    config: Config, now: datetime, selected: Selected, timings: Sequence[tuple[str, float]], cache: CacheStats | None
) -> BuildResult:
    return BuildResult(
        config, now, selected.read, selected.rejected, selected.result, tuple(timings), cache,
        files_stamp=selected.files_stamp, valid_until=selected.valid_until,
        extras=selected.extras,
    )  # fmt: skip


def _stats(config: Config, cache: ParseCache | None, reused: int | None = None, rendered: int | None = None) -> CacheStats | None:
    if cache is None:
        return None
    return CacheStats(str(config.cache_folder()), cache.hits, cache.parsed, cache.dropped, reused, rendered)


def collect_and_select(
    config: Config,
    overrides: Overrides,
    now: datetime,
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
    warn: Warn = ignore,
    on_rejection: OnRejection = ignore,
    note: Note = no_note,
) -> BuildResult:
    """Collect and select at ``now``, rendering nothing: what each feed would publish."""
    cache = open_cache(config.cache_folder(), warn) if use_cache else None
    selected = _select(config, overrides, now, cache, progress or Progress(enabled=False), warn, on_rejection, note=note)
    if cache is not None:
        cache.close()
    timings = (("collect", selected.collect_seconds), ("select", selected.select_seconds))
    return _result(config, now, selected, timings, _stats(config, cache))


def prepare(
    config: Config,
    overrides: Overrides,
    now: datetime,
    *,
    use_cache: bool = True,
    probe_network: bool = True,
    progress: Progress | None = None,
    warn: Warn = ignore,
    on_rejection: OnRejection = ignore,
    deadline: Deadline | None = None,
    note: Note = no_note,
) -> BuildResult:
    """Collect, select and render at ``now``; nothing is written (``files`` holds every file).

    ``use_cache=False`` parses every file and renders every feed and leaves the caches
    alone; ``probe_network=False`` takes enclosure sizes from the probe cache only.
    Raises :class:`ConfigError` when there is nothing to publish (a source folder with
    no article file, or every file rejected): the last feeds are better than empty ones.
    Image probes end by ``deadline`` (a publish's), else :class:`DeadlineExceeded`.
    ``note`` is told of each file read, each feed selected and each file rendered.
    """
    progress = progress or Progress(enabled=False)
    cache = open_cache(config.cache_folder(), warn) if use_cache else None
    selected = _select(config, overrides, now, cache, progress, warn, on_rejection, writes=True, note=note)
    t = time.perf_counter()
    rendered = render_all(
        config, selected.result, selected.topics, cache, now, progress,
        extras=selected.extras, probe_network=probe_network, warn=warn, deadline=deadline, note=note,
    )  # fmt: skip
    timings = (("collect", selected.collect_seconds), ("select", selected.select_seconds), ("render", time.perf_counter() - t))
    stats = _stats(config, cache, rendered.feeds_reused, rendered.feeds_rendered)
    return replace(_result(config, now, selected, timings, stats), files=rendered.files)


def run(
    config: Config,
    overrides: Overrides,
    now: datetime,
    *,
    use_cache: bool = True,
    probe_network: bool = True,
    progress: Progress | None = None,
    warn: Warn = ignore,
    on_rejection: OnRejection = ignore,
    note: Note = no_note,
) -> BuildResult:
    """``feedpub build``: :func:`prepare`, then write into the output folder (unchanged files are left alone).

    ``note`` is told of each step done to each file (:data:`~feedpub.build_report.Note`),
    the files written and left unchanged last.

    Raises :class:`~feedpub.errors.PublishError` when the folder cannot be written,
    :class:`~feedpub.errors.LockError` when another run writes into it.
    """
    progress = progress or Progress(enabled=False)
    target = FolderTarget(config.output, delete_stale=config.publish.delete_stale, max_deletes=config.publish.max_deletes)
    # Under the folder's lock (LockError when another run writes there) from the first
    # step: the write sweeps what a killed run left, which only a sole writer may do.
    with (
        stop_on_sigterm(f"{target.describe()} holds each file whole (as it was, or new); the next run completes it"),
        acquire_lock(lock_file(target.lock_key()), wait=config.publish.lock_wait, what=target.describe()),
    ):
        target.ready()  # an output that cannot be a folder fails now, not after the whole build
        made = prepare(
            config, overrides, now, use_cache=use_cache, probe_network=probe_network,
            progress=progress, warn=warn, on_rejection=on_rejection, note=note,
        )  # fmt: skip
        t = time.perf_counter()
        written = target.publish(made.files, progress=lambda d, n: progress.update("writing", d, n))
    progress.clear()
    verbs = {"uploaded": "written", "unchanged": "unchanged", "deleted": "deleted"}
    tell_done(note, written, verbs, lambda name: printable(str(config.output / name)))
    return replace(made, written=written, timings=(*made.timings, ("write", time.perf_counter() - t)))


def tell_done(note: Note, done: PublishResult, verbs: dict[str, str], name: Callable[[str], str]) -> None:
    """Tell ``note`` of each file of ``done`` (a write or an upload) as ``name`` names it, under the
    verb ``verbs`` gives its list (``uploaded``, ``unchanged``, ``deleted``)."""
    for key, verb in verbs.items():
        for file in getattr(done, key):
            note(verb, name(file))


def check(
    config: Config, *, use_cache: bool = True, progress: Progress | None = None, warn: Warn = ignore, note: Note = no_note
) -> Checked:
    """``feedpub check``: read every article file and topic definition, select nothing (``note``: each file read)."""
    cache = open_cache(config.cache_folder(), warn) if use_cache else None
    return check_articles(config, cache, progress or Progress(enabled=False), note)


def summary(result: BuildResult) -> dict[str, Any]:
    """The sections of a build's ``--json`` report (README, "Commands"); :mod:`feedpub.report` adds the common keys.

    Every key is always there, zero counts included, so a monitor can rely on each one.
    """
    held = result.selected.held_back
    more = extra_files(result.extras, result.config.formats)
    out: dict[str, Any] = {
        "articles": {
            "read": result.read,
            "accepted": result.selected.accepted,
            "held_back": {r: held.get(r, 0) for r in HELD_REASONS},
            "rejected": [rejection_json(r) for r in result.rejected],
        },
        "topics": [
            topic_json(p, result.config.formats, more.get(p.topic.slug, ()), page=result.config.directory)
            for p in feeds(result.selected)
        ],
        "timings": {k: round(v, 4) for k, v in result.timings},
        "cache": _cache_summary(result.cache),
    }
    if result.written is not None:
        w = result.written
        out["output"] = {
            "folder": str(result.config.output),
            "written": len(w.uploaded),
            "unchanged": len(w.unchanged),
            "deleted": len(w.deleted),
        }
    if result.published is not None:
        p = result.published
        out["publish"] = {
            "target": dict(p.where),
            "dry_run": p.dry_run,
            "uploaded": list(p.result.uploaded),
            "unchanged": list(p.result.unchanged),
            "deleted": list(p.result.deleted),
            "failed": list(p.result.failed),
            "websub_problems": list(p.websub_problems),
            "actions": p.actions(),
            "purged": p.purged.purged if p.purged else 0,
            "purge_problems": list(p.purged.problems) if p.purged else [],
        }
    return out


def _cache_summary(stats: CacheStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "folder": stats.folder,
        "hits": stats.hits,
        "parsed": stats.parsed,
        "dropped": stats.dropped,
        "feeds_reused": stats.feeds_reused,  # None: nothing rendered (``topics``)
        "feeds_rendered": stats.feeds_rendered,
    }


def save_stamp(
    result: BuildResult,
    *,
    argv: Sequence[str],
    config_path: str | None,
    quiet: bool,
    json: bool,
    warnings: Sequence[str],
    status: int,
    color: str = "auto",
) -> str | None:
    """Leave the up-to-date stamp of a :func:`run` (see :mod:`feedpub.cache.uptodate`).

    ``argv``, ``quiet`` and ``json`` are the command line the stamp answers; ``warnings``
    the problems it printed (without the ``feedpub:`` prefix; rejected files aside: an
    up-to-date rerun has nothing new to report) and ``status`` its exit status, which
    the up-to-date rerun repeats; ``color`` the ``--color`` choice its lines are painted
    under again. Returns a problem to report, or None; never raises for one.
    """
    config = result.config
    if config.image_probe.enabled or result.cache is None or result.written is None:
        return None  # probing asks the network, whose answers change; --no-cache asks for work
    if config.publish.delete_stale and len(result.written.deleted) >= config.publish.max_deletes:
        return None  # stale files may remain past max_deletes: the next run must delete them
    path = uptodate.stamp_file(argv)
    if path is None:
        return None
    report = {
        "summary": {k: v for k, v in summary(result).items() if k != "timings"},
        "warnings": list(warnings),
        "status": status,
        "color": color,
    }
    try:
        stamp = uptodate.new_stamp(
            config_path=config_path,
            quiet=quiet,
            json=json,
            sources=[str(s) for s in config.sources],
            pattern=config.pattern,
            files_digest=result.files_stamp,
            now_us=micros(result.now),
            valid_until_us=None if result.valid_until is None else micros(result.valid_until),
            outputs=[str(config.output / f.name) for f in result.files],
            report=report,
        )
        uptodate.save(path, stamp)
    except (OSError, ValueError) as exc:
        return f"cannot save the up-to-date stamp in {path}: {getattr(exc, 'strerror', None) or exc}"
    return None
