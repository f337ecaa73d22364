"""The collect and select steps of a build, with the parse cache and the selection snapshot.

Used by :mod:`feedpub.build` only: it owns the caches and passes them in; this module
knows how the steps use them (what is reused, what is checked, what is saved).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from feedpub.build_report import Note, no_note
from feedpub.cache import reported, uptodate
from feedpub.cache.parsed import ParseCache
from feedpub.cache.selection import SelectionSnapshot
from feedpub.collect.scan import iter_article_files, large_folder, newest_first, scan_digest
from feedpub.collect.stream import collect_articles
from feedpub.collect.topicdefs import load_topic_defs
from feedpub.config import Config, check_overrides
from feedpub.errors import ConfigError
from feedpub.progress import Progress
from feedpub.records import ArticleRef, Extras, Rejection, SelectionState, Topic
from feedpub.select import Rules, Selector, SelectResult
from feedpub.select_extras import ExtraSelector
from feedpub.text import printable
from feedpub.times import from_micros
from feedpub.topics import TopicIndex, resolve_topics, topic_key


@dataclass(frozen=True, slots=True)
class Selected:
    """What collect and select found: the feeds' items, and what the stamp and the next run need."""

    read: int
    rejected: tuple[Rejection, ...]
    result: SelectResult
    topics: TopicIndex
    extras: Extras
    files_stamp: bytes
    """The order-free digest of the article files read, for the up-to-date stamp."""
    valid_until: datetime | None
    collect_seconds: float
    select_seconds: float


@dataclass(frozen=True, slots=True)
class Checked:
    """What ``feedpub check`` found: article files read and usable, and every file rejected."""

    read: int
    accepted: int
    rejected: tuple[Rejection, ...]
    definitions: int


def _snapshot_digest(config: Config, snapshot: SelectionSnapshot) -> tuple[bytes, int, list[bytes], bytes] | None:
    """``(digest, count, marks, order-free digest)`` of the article files (see
    :class:`~feedpub.collect.scan.Tally`), to compare with a stored selection; None when
    they are known to differ from the last build's.

    When the up-to-date check found the files changed moments ago in this process, they
    differ from those of the last build, which stored the selection: it is not looked
    at (when another command stored it, a chance to reuse it is missed, nothing more).
    """
    sources = tuple(str(s) for s in config.sources)
    hint, uptodate.changed_files = uptodate.changed_files, None
    if hint == (sources, config.pattern):
        return None
    # Stopped at the first block of files not as the selection saw them (a run after an
    # edit then scans once more, beside the index, but not the whole archive twice).
    tally = scan_digest(config.sources, config.pattern, expect=snapshot.marks())
    return None if tally.differs else (tally.digest(), tally.count, tally.marks, tally.unordered_digest())


def _check_sources(config: Config, count: int, cache: ParseCache | None) -> None:
    """Raise :class:`ConfigError` when a source folder holds no article file (``count``: files found in all).

    A source volume that failed to mount looks like an empty folder: publishing then
    would empty every feed. Nothing is written and the caches stay as they were, so the
    last good feeds are kept and the next run with the files back is as before.
    """
    if count and len(config.sources) == 1:
        return
    empty = [str(s) for s in config.sources if not count or next(iter_article_files([s], config.pattern), None) is None]
    if empty:
        if cache is not None:
            cache.discard()
        raise ConfigError(
            f"no article files found in {', '.join(empty)} (pattern {config.pattern}); nothing written, the last feeds are kept"
        )


def _new_problems(config: Config, problems: list[Rejection], cache: ParseCache | None) -> list[Rejection]:
    """Topic definition problems, those reported by the last run marked ``known`` (with a cache)."""
    if cache is None or (not problems and not (config.cache_folder() / reported.FILE_NAME).exists()):
        return problems
    return reported.ReportedProblems(config.cache_folder()).mark(problems)


def collect_and_select(
    config: Config,
    rules_for: Callable[[str], Rules],
    now: datetime,
    cache: ParseCache | None,
    progress: Progress,
    warn: Callable[[str], None],
    note: Note = no_note,
) -> Selected:
    """Read the article files (from ``cache`` where unchanged) and select each feed's items at ``now``.

    ``note`` is told of each file read (``read``) or of the last run's selection reused.
    """
    t0 = time.perf_counter()
    # Said at once: finding the files of a large folder takes a while before the first is read.
    progress.update("scanning article files", 0)
    defs, def_problems = load_topic_defs(config.sources)
    extra = None
    if config.extras():
        extra = ExtraSelector(archive=config.archive, digest_for=config.digest_for, now=now)
    selector = Selector(rules_for, now=now, site_feed=config.site_feed, track=extra.track if extra else None)
    rejected: list[Rejection] = []
    # The snapshot keeps each feed's best items only, not what archives and top-stories
    # feeds need: with those on, every article (from the parse cache) is offered again.
    snapshot = SelectionSnapshot(config.cache_folder()) if cache is not None and extra is None else None
    stored = None
    scanned = _snapshot_digest(config, snapshot) if snapshot is not None and snapshot.path.is_file() else None
    if snapshot is not None and scanned is not None:
        stored = snapshot.load(SelectionSnapshot.key(scanned[0], (config.site_feed,)), now)
    if cache is not None and stored is not None and selector.restore(stored.state):
        # Same files, same index, same rules, and no article has fallen due or aged
        # out since: the last run's selection is this run's (see SelectionSnapshot).
        assert scanned is not None  # a selection is only loaded for a scan
        digest, read, marks, files_stamp = scanned
        cache.trust(read)
        note("reused", f"the last run's selection ({read} article files unchanged since)")
        rejected.extend(stored.rejected)
        stored_state = None
    else:
        add, add_ref = selector.add, selector.add_ref
        bad: list[Rejection] = []
        # Newest first: names usually start with the date, so the newest articles come
        # first and fill each feed, and most older ones are turned away by one
        # comparison (the selection does not depend on the order; rejections are
        # reported in path order below). It is also the parse cache's order.
        tally = newest_first(config.sources, config.pattern)
        expected = cache.expected if cache is not None else None  # as many as last time, roughly
        # Nothing cached and a large source folder: everything is parsed, in workers
        # started now, while this process is still small (they are forked from it).
        eager = expected is None and large_folder(config.sources)
        telling = note is not no_note  # -v: not a printable path per file for nobody
        for done, item in enumerate(collect_articles(tally, cache, eager=eager), 1):
            if isinstance(item, ArticleRef):
                add_ref(item)  # an article through the parse cache, not decoded
            elif isinstance(item, Rejection):
                bad.append(item)  # told by the caller (on_rejection), in path order
            else:
                add(item)
            if telling and not isinstance(item, Rejection):
                note("read", printable(item.path))
            progress.update("reading articles", done, expected)
        progress.update("reading articles", tally.count, tally.count)  # the true total, now known
        progress.clear()
        rejected.extend(reversed(bad))
        digest, read, marks, files_stamp = tally.digest(), tally.count, tally.marks, tally.unordered_digest()
        stored_state = selector.state() if snapshot is not None else None
    _check_sources(config, read, cache)
    collect_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    reserved = {"index", config.site_feed_slug} if config.site_feed else {"index"}
    topics = resolve_topics(selector.spellings, defs, reserved=reserved)
    site_topic = None
    if config.site_feed:
        site_topic = Topic(key="", name=config.site_feed_title, slug=config.site_feed_slug)
    result = selector.finish(topics, site_topic)
    extras = extra.finish(result) if extra is not None else Extras()
    valid_until = selector.valid_until
    if extra is not None and extra.valid_until_us is not None:
        leaves = from_micros(extra.valid_until_us)
        valid_until = leaves if valid_until is None else min(valid_until, leaves)
    if cache is not None:
        # Cached articles reach selection by their selection fields only; the full
        # records are decoded when a feed has to be rendered (build_render). Check now
        # that the records of every article in a feed are intact, then keep the cache.
        cache.verify(a for sel in (*result.selections, result.site) if sel is not None for a in sel.items)
        cache.verify(a for feed in extras.feeds for a in feed.picked.items)
        cache.save()
        if snapshot is not None and stored_state is not None:
            snapshot_key = SelectionSnapshot.key(digest, (config.site_feed,))
            _save_snapshot(snapshot, snapshot_key, stored_state, cache, rejected, now, warn, marks)
    rejected[:0] = _new_problems(config, def_problems, cache)
    check_overrides(config, topics)  # before anything is rendered or written
    return Selected(
        read, tuple(rejected), result, topics, extras, files_stamp=files_stamp,
        valid_until=valid_until, collect_seconds=collect_seconds, select_seconds=time.perf_counter() - t1,
    )  # fmt: skip


def _save_snapshot(
    snapshot: SelectionSnapshot,
    key: bytes,
    state: SelectionState,
    cache: ParseCache,
    rejected: list[Rejection],
    made: datetime,
    warn: Callable[[str], None],
    marks: Sequence[bytes],
) -> None:
    """Keep this run's selection for the next run, unless something in it cannot be trusted."""
    if cache.racy or cache.unsettled:
        snapshot.drop()  # a file written moments ago, or one that changed during the run
        return
    try:
        if not snapshot.save(key, state, rejected, made, marks):
            snapshot.drop()
    except OSError as exc:
        warn(f"{snapshot.path}: cannot save the selection snapshot: {exc.strerror or exc}")


def check_articles(config: Config, cache: ParseCache | None, progress: Progress, note: Note = no_note) -> Checked:
    """Parse every article file (from ``cache`` where unchanged) and every topic definition; no selection."""
    progress.update("scanning article files", 0)
    defs, def_problems = load_topic_defs(config.sources)
    ok = 0
    bad: list[Rejection] = []
    names: set[str] = set()  # every topic name used, for the check of the config's overrides
    tally = newest_first(config.sources, config.pattern)  # the cache's order
    expected = cache.expected if cache is not None else None  # as many as last time, roughly
    for done, item in enumerate(collect_articles(tally, cache), 1):
        if isinstance(item, Rejection):
            bad.append(item)
        else:
            ok += 1
            names.update(item.topics)
            if note is not no_note:
                note("read", printable(item.path))
        progress.update("checking articles", done, expected)
    progress.clear()
    _check_sources(config, tally.count, cache)
    rejected = _new_problems(config, def_problems, cache)
    rejected.extend(reversed(bad))  # in path order
    if cache is not None:
        cache.save()
    spellings: dict[str, Counter[str]] = {}
    for name in names:
        spellings.setdefault(topic_key(name), Counter())[name] += 1
    check_overrides(config, resolve_topics(spellings, defs))
    return Checked(read=tally.count, accepted=ok, rejected=tuple(rejected), definitions=len(defs))
