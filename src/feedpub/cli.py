"""The ``feedpub`` command: parses arguments, wires the steps, turns errors into exit codes.

files -> collect -> select -> render -> publish. Only this module knows all the steps.
Exit status: 0 done, 1 rejected files with --strict (or ``check``), 2 usage or config
error, 3 the target could not be written, 4 another run holds the lock.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feedpub.render.images import ProbeResult

from feedpub import __version__
from feedpub.cache import uptodate
from feedpub.cache.parsed import ParseCache
from feedpub.cache.rendered import RenderCache
from feedpub.cache.selection import SelectionSnapshot
from feedpub.collect.scan import large_folder, newest_first, scan_digest
from feedpub.collect.stream import collect_articles
from feedpub.collect.topicdefs import load_topic_defs
from feedpub.config import DEFAULT_BASE_URL, Config, check_base_url, load_config
from feedpub.errors import ConfigError, FeedpubError
from feedpub.formats import CONTENT_TYPES, EXTENSIONS, feed_files
from feedpub.progress import Progress
from feedpub.publish.folder import FolderTarget
from feedpub.records import (
    ArticleRef,
    OutputFile,
    Picked,
    PublishResult,
    Rejection,
    Selection,
    SelectionState,
    Topic,
)
from feedpub.render.directory import render_index_page
from feedpub.render.feeds import render_feed
from feedpub.render.opml import render_opml
from feedpub.select import Rules, Selector, SelectResult
from feedpub.text import printable
from feedpub.topics import TopicIndex, resolve_topics

DEFAULT_CONFIG = Path("config/feedpub.yaml")


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors use feedpub's one-line format and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{message} (see '{self.prog} --help')")


def _selection_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-quality", type=float, metavar="N", help="only articles with quality >= N (all topics)")
    p.add_argument("--max-items", type=int, metavar="N", help="at most N items per feed (all topics)")
    p.add_argument(
        "--include-unpublished", action="store_true", default=None, help="also publish articles marked published: false"
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, metavar="FILE", help=f"config file (default: {DEFAULT_CONFIG} if present)")
    p.add_argument(
        "--source", action="append", type=Path, metavar="DIR", help="folder of article files (repeatable; replaces the config's)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display and no notices")
    p.add_argument("--strict", action="store_true", help="exit 1 when any article file was rejected")
    p.add_argument("--cache-dir", type=Path, metavar="DIR", help="cache folder (default: the config's, else beside the output)")
    p.add_argument("--no-cache", action="store_true", help="parse every file and render every feed; leave the cache alone")


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (also used to document them)."""
    parser = _Parser(prog="feedpub", description="Per-topic RSS 2.0, Atom 1.0 and JSON Feed files from news-article files, published to a folder or S3.")
    parser.add_argument("--version", action="version", version=f"feedpub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    build = sub.add_parser("build", help="write the feeds into a folder")
    _common(build)
    build.add_argument("--output", type=Path, metavar="DIR", help="output folder (default: the config's, else output/)")
    build.add_argument("--base-url", metavar="URL", help="where the feeds will be served (self links, OPML)")
    build.add_argument("--no-probe", action="store_true", help="don't probe enclosure images this run (use the cache only)")
    _selection_flags(build)

    publish = sub.add_parser("publish", help="build the feeds and push them to a folder or S3, then ping WebSub hubs")
    _common(publish)
    publish.add_argument(
        "--target", metavar="DIR|s3://BUCKET/PREFIX/", help="where to publish (default: the config's publish.target, else output/)"
    )
    publish.add_argument("--base-url", metavar="URL", help="where the feeds are served (required for S3)")
    publish.add_argument("--dry-run", action="store_true", help="print what would be uploaded, left and deleted; write nothing")
    publish.add_argument("--no-probe", action="store_true", help="don't probe enclosure images this run (use the cache only)")
    _selection_flags(publish)

    check = sub.add_parser("check", help="read and validate article files only; exit 1 if any is rejected")
    _common(check)

    serve = sub.add_parser("serve", help="build into a temporary folder and serve it on 127.0.0.1, rebuilding on changes")
    _common(serve)
    serve.add_argument("--port", type=int, default=8000, metavar="N", help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    _selection_flags(serve)

    topics = sub.add_parser("topics", help="list topics: name, slug, articles, selected, feed file")
    _common(topics)
    _selection_flags(topics)
    return parser


@dataclass
class _Run:
    """What one pass over the articles produced (the CLI's own bookkeeping)."""

    config: Config
    read: int
    rejected: list[Rejection]
    result: SelectResult
    topics: TopicIndex
    site_topic: Topic | None
    timings: dict[str, float]
    cache: ParseCache | None = None
    cache_stats: dict[str, int] = field(default_factory=dict)
    files_digest: bytes = b""
    files_marks: list[bytes] = field(default_factory=list)
    now: datetime | None = None
    valid_until: datetime | None = None


def _load(args: argparse.Namespace) -> Config:
    path = args.config
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    config = load_config(path)
    if args.source:
        config = replace(config, sources=tuple(args.source))
    if getattr(args, "output", None):
        config = replace(config, output=args.output)
    if getattr(args, "cache_dir", None):
        config = replace(config, cache_dir=args.cache_dir)
    if getattr(args, "base_url", None):
        config = replace(config, site=replace(config.site, base_url=check_base_url(args.base_url)))
    if args.strict:
        config = replace(config, strict=True)
    if getattr(args, "max_items", None) is not None and args.max_items < 1:
        raise ConfigError("--max-items: must be at least 1")
    if not config.sources:
        raise ConfigError("no sources: give --source DIR or list 'sources' in the config")
    for source in config.sources:
        if not source.is_dir():
            raise ConfigError(f"{source}: source folder not found")
    return config


def _flag_rules(config: Config, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Per-topic rules with the command-line flags applied on top (flags win)."""

    def rules_for(key: str) -> Rules:
        rules = config.rules_for(key)
        if getattr(args, "min_quality", None) is not None:
            rules = replace(rules, min_quality=args.min_quality)
        if getattr(args, "max_items", None) is not None:
            rules = replace(rules, max_items=args.max_items)
        if getattr(args, "include_unpublished", None):
            rules = replace(rules, include_unpublished=True)
        return rules

    return rules_for


def _rejected(r: Rejection) -> dict[str, str]:
    # File names need not be UTF-8: escape what a terminal or a JSON reader can't take.
    return {"path": printable(r.path), "reason": r.reason}


_warned: list[str] = []
"""Every line :func:`_warn` printed in this run (an up-to-date rerun prints them again)."""


def _warn(message: str) -> None:
    line = f"feedpub: {message}"
    _warned.append(line)
    print(line, file=sys.stderr)


def _parse_cache(config: Config, args: argparse.Namespace) -> ParseCache | None:
    return None if getattr(args, "no_cache", False) else ParseCache(config.cache_folder())


def _snapshot_digest(config: Config) -> tuple[bytes, int, list[bytes]] | None:
    """``(digest, count, marks)`` of the article files (see :class:`~feedpub.collect.scan.Tally`),
    to compare with a stored selection; None when they are known to differ from the
    last build's.

    The up-to-date check may have scanned the same sources in this process moments
    ago; what it found is taken rather than scanning a second time. When it stopped at
    a changed file, the files differ from those of the last build, which stored the
    selection: it is not looked at (when another command stored it, a chance to reuse
    it is missed, nothing more).
    """
    sources = tuple(str(s) for s in config.sources)
    hint, uptodate.last_scan = uptodate.last_scan, None
    if hint is not None and hint[:2] == (sources, config.pattern):
        return None if hint[2] is None else (hint[2], hint[3], hint[4])
    tally = scan_digest(config.sources, config.pattern)
    return tally.digest(), tally.count, tally.marks


def _collect_and_select(config: Config, args: argparse.Namespace, progress: Progress) -> _Run:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    defs, def_problems = load_topic_defs(config.sources)
    cache = _parse_cache(config, args)
    now = datetime.now(timezone.utc)
    selector = Selector(_flag_rules(config, args), now=now, site_feed=config.site_feed)
    rejected = list(def_problems)
    snapshot = SelectionSnapshot(config.cache_folder()) if cache is not None else None
    stored = None
    scanned = _snapshot_digest(config) if snapshot is not None and snapshot.path.is_file() else None
    if snapshot is not None and scanned is not None:
        digest, read, marks = scanned
        snapshot_key = SelectionSnapshot.key(digest, (config.site_feed,))
        stored = snapshot.load(snapshot_key, now)
    if cache is not None and stored is not None and selector.restore(stored.state):
        # Same files, same index, same rules, and no article has fallen due or aged
        # out since: the last run's selection is this run's (see SelectionSnapshot).
        cache.trust(read)
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
        for done, item in enumerate(collect_articles(tally, cache, eager=eager), 1):
            if isinstance(item, ArticleRef):
                add_ref(item)  # an article through the parse cache, not decoded
            elif isinstance(item, Rejection):
                bad.append(item)
            else:
                add(item)
            progress.update("reading articles", done, expected if expected and done < expected else None)
        progress.clear()
        rejected.extend(reversed(bad))
        digest, read, marks = tally.digest(), tally.count, tally.marks
        snapshot_key = SelectionSnapshot.key(digest, (config.site_feed,))
        stored_state = selector.state() if snapshot is not None else None
    timings["collect"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    reserved = {"index", config.site_feed_slug} if config.site_feed else {"index"}
    topics = resolve_topics(selector.spellings, defs, reserved=reserved)
    site_topic = None
    if config.site_feed:
        site_topic = Topic(key="", name=config.site_feed_title, slug=config.site_feed_slug, defined=True)
    result = selector.finish(topics, site_topic)
    if cache is not None:
        # Cached articles reach selection by their selection fields only; the full
        # records are decoded when a feed has to be rendered (_render). Check now that
        # the records of every article in a feed are intact, then keep the cache.
        cache.verify(a for sel in (*result.selections, result.site) if sel is not None for a in sel.items)
        cache.save()
        if snapshot is not None and stored_state is not None:
            _save_snapshot(snapshot, snapshot_key, stored_state, cache, rejected[len(def_problems) :])
    timings["select"] = time.perf_counter() - t1
    for r in rejected:
        if not args.quiet or not args.json:
            _warn(f"skipped {printable(r.path)}: {r.reason}")
    return _Run(
        config, read, rejected, result, topics, site_topic, timings, cache,
        files_digest=digest, files_marks=marks, now=now, valid_until=selector.valid_until,
    )  # fmt: skip


def _save_snapshot(
    snapshot: SelectionSnapshot,
    key: bytes,
    state: SelectionState,
    cache: ParseCache,
    rejected: list[Rejection],
) -> None:
    """Keep this run's selection for the next run, unless something in it cannot be trusted."""
    if cache.racy or cache.unsettled:
        snapshot.drop()  # a file written moments ago, or one that changed during the run
        return
    try:
        if not snapshot.save(key, state, rejected):
            snapshot.drop()
    except OSError as exc:
        _warn(f"{snapshot.path}: cannot save the selection snapshot: {exc.strerror or exc}")


def _probe(run: _Run, selections: list[Selection], *, network: bool) -> Callable[[str], ProbeResult | None] | None:
    """Enclosure sizes from the probe cache, probing the network first when allowed."""
    config = run.config
    if not config.probe:
        return None
    from feedpub.render.probe import (
        ImageProbe,  # needs requests: only imported when probing is on
    )

    probe = ImageProbe(
        config.probe_cache,
        max_age=timedelta(days=config.probe_max_age_days),
        timeout=config.probe_timeout,
        max_per_run=config.probe_max_per_run,
    )
    if network:
        urls = sorted({a.images[0].url for sel in selections for a in sel.items if a.images})
        probe.probe_all(urls)
        try:
            probe.save()
        except OSError as exc:
            _warn(f"{config.probe_cache}: cannot save the image probe cache: {exc.strerror or exc}")
    return probe.lookup


def _render(run: _Run, progress: Progress, *, probe_network: bool = True) -> list[OutputFile]:
    config = run.config
    files: list[OutputFile] = []
    picks = list(run.result.selections)
    if run.result.site is not None:
        picks.append(run.result.site)
    # Render takes Selections of full Articles: a feed's cached items are decoded into
    # them (resolved) only when it is rendered, or when probing reads every item's images.
    resolve = run.cache.resolve if run.cache is not None else Picked.selection
    resolved: list[Selection | None] = [resolve(p) for p in picks] if config.probe else [None] * len(picks)
    lookup = _probe(run, [s for s in resolved if s is not None], network=probe_network)
    total = len(picks) * len(config.formats)
    names = {t.key: t.name for t in run.topics}
    # A feed whose inputs are unchanged since the last run is taken from the cache
    # instead of rendered: the same inputs give the same bytes. The key covers the
    # topic display names (categories) and the probed enclosure sizes too.
    renders = RenderCache(config.cache_folder()) if run.cache is not None else None
    settings = RenderCache.settings_key((config.site, config.hubs, tuple(sorted(names.items()))))
    for i, (pick, sel) in enumerate(zip(picks, resolved)):
        topic_key = b""
        if renders is not None and run.cache is not None:
            probed = tuple(lookup(a.images[0].url) for a in sel.items if a.images) if lookup and sel else ()
            topic_key = renders.key(pick, settings, probed, run.cache.digest)
        for fmt in config.formats:
            if renders is None or run.cache is None:
                sel = sel or resolve(pick)
                files.append(render_feed(sel, config.site, fmt, hubs=config.hubs, topic_names=names, probe=lookup))
                continue
            name = pick.topic.slug + EXTENSIONS[fmt]
            key = topic_key + fmt.encode()
            data = renders.get(name, key)
            if data is None:
                sel = sel or resolve(pick)
                out = render_feed(sel, config.site, fmt, hubs=config.hubs, topic_names=names, probe=lookup)
                renders.put(name, key, out.data)
                files.append(out)
            else:
                files.append(OutputFile(name=name, data=data, content_type=CONTENT_TYPES[fmt], group=0))
        progress.update("rendering feeds", (i + 1) * len(config.formats), total)
    progress.clear()
    if run.cache is not None:
        run.cache.close()
    if renders is not None:
        renders.save()
        run.cache_stats = {"feeds_reused": renders.reused, "feeds_rendered": renders.rendered}
    updated = run.result.newest or datetime(1970, 1, 1, tzinfo=timezone.utc)
    # The listings read each feed's topic, item count and newest date, which a Picked
    # feed has without decoding its items (their signatures still say Selection).
    files.append(render_opml(run.result.selections, config.site, config.formats, updated))  # type: ignore[arg-type]
    if config.directory:
        files.append(render_index_page(picks, config.site, config.formats, updated))  # type: ignore[arg-type]
    return files


def _summary(run: _Run) -> dict[str, Any]:
    selections = list(run.result.selections)
    if run.result.site is not None:
        selections.append(run.result.site)
    return {
        "articles": {
            "read": run.read,
            "accepted": run.result.accepted,
            "held_back": run.result.held_back,
            "rejected": [_rejected(r) for r in run.rejected],
        },
        "topics": [
            {
                "name": s.topic.name,
                "slug": s.topic.slug,
                "articles": s.total,
                "items": len(s.items),
                "files": feed_files(s.topic.slug, run.config.formats),
            }
            for s in selections
        ],
        "timings": {k: round(v, 4) for k, v in run.timings.items()},
        "cache": _cache_summary(run),
    }


def _cache_summary(run: _Run) -> dict[str, Any] | None:
    if run.cache is None:
        return None
    out: dict[str, Any] = {
        "folder": str(run.config.cache_folder()),
        "hits": run.cache.hits,
        "parsed": run.cache.parsed,
        "dropped": run.cache.dropped,
    }
    out.update(run.cache_stats)
    return out


def cmd_build(args: argparse.Namespace) -> int:
    """``feedpub build``: collect, select, render and write into the output folder."""
    config = _load(args)
    if not config.site.base_url and not args.quiet:
        _warn(f"no base URL given (--base-url or site.base_url): self links use {DEFAULT_BASE_URL} (a local preview)")
    progress = Progress(enabled=not args.quiet)
    run = _collect_and_select(config, args, progress)
    t = time.perf_counter()
    files = _render(run, progress, probe_network=not args.no_probe)
    run.timings["render"] = time.perf_counter() - t
    t = time.perf_counter()
    result = FolderTarget(config.output).publish(files, progress=lambda d, n: progress.update("writing", d, n))
    progress.clear()
    run.timings["write"] = time.perf_counter() - t
    summary = _summary(run)
    summary["output"] = {"folder": str(config.output), "written": len(result.uploaded), "unchanged": len(result.unchanged)}
    status = 1 if run.rejected and config.strict else 0
    warned = list(_warned)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    elif not args.quiet:
        _warn(uptodate.build_line(summary))
    _stamp(args, run, [config.output / f.name for f in files], summary, warned, status)
    return status


def _stamp(
    args: argparse.Namespace,
    run: _Run,
    outputs: list[Path],
    summary: dict[str, Any],
    warned: list[str],
    status: int,
) -> None:
    """Leave the up-to-date stamp of this build (see :mod:`feedpub.cache.uptodate`); never fatal."""
    config = run.config
    if config.probe or args.no_cache or run.now is None:
        return  # probing asks the network, whose answers change; --no-cache asks for work
    argv = getattr(args, "argv", None)
    path = uptodate.stamp_file(argv) if argv is not None else None
    if path is None:
        return
    from feedpub.times import micros

    report = {"summary": {k: v for k, v in summary.items() if k != "timings"}, "warnings": warned, "status": status}
    try:
        stamp = uptodate.new_stamp(
            config_path=None if args.config is None else str(args.config),
            quiet=args.quiet,
            json=args.json,
            sources=[str(s) for s in config.sources],
            pattern=config.pattern,
            files_digest=run.files_digest,
            files_marks=run.files_marks,
            now_us=micros(run.now),
            valid_until_us=None if run.valid_until is None else micros(run.valid_until),
            outputs=[str(p) for p in outputs],
            report=report,
        )
        uptodate.save(path, stamp)
    except (OSError, ValueError) as exc:
        if not args.quiet:
            print(f"feedpub: cannot save the up-to-date stamp in {path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)


def _lock_path(target: str) -> Path:
    """One lock file per target on this host, outside the published folder."""
    import hashlib
    import tempfile

    digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"feedpub-{digest}.lock"


def _make_target(config: Config, target: str):  # type: ignore[no-untyped-def]
    if target.startswith("s3://"):
        from feedpub.publish.s3 import (
            S3Target,  # boto3 is imported only when publishing to S3
        )

        p = config.publish
        return S3Target(
            target,
            endpoint_url=p.get("endpoint_url"),
            region=p.get("region"),
            addressing_style=p.get("addressing_style"),
            profile=p.get("profile"),
            cache_control=p.get("cache_control", "max-age=300"),
            delete_stale=p.get("delete_stale", False),
            max_deletes=p.get("max_deletes", 16),
            workers=p.get("workers", 8),
        )
    return FolderTarget(Path(target))


def cmd_publish(args: argparse.Namespace) -> int:
    """``feedpub publish``: build, push to the target (folder or S3), then notify hubs."""
    from feedpub.publish.lock import acquire_lock

    config = _load(args)
    target = args.target or config.publish.get("target") or str(config.output)
    if target.startswith("s3://") and not config.site.base_url:
        raise ConfigError("publishing to S3 needs --base-url (or site.base_url): where readers fetch the feeds")
    if not config.site.base_url and not args.quiet:
        _warn(f"no base URL given (--base-url or site.base_url): self links use {DEFAULT_BASE_URL} (a local preview)")
    store = _make_target(config, target)
    progress = Progress(enabled=not args.quiet)
    with acquire_lock(_lock_path(target), wait=float(config.publish.get("lock_wait", 0))):
        run = _collect_and_select(config, args, progress)
        t = time.perf_counter()
        files = _render(run, progress, probe_network=not args.no_probe)
        run.timings["render"] = time.perf_counter() - t
        t = time.perf_counter()
        failure: FeedpubError | None = None
        try:
            result = store.publish(files, dry_run=args.dry_run, progress=lambda d, n: progress.update("publishing", d, n))
        except FeedpubError as exc:
            failure = exc
            result = getattr(exc, "result", None) or PublishResult()
        progress.clear()
        run.timings["publish"] = time.perf_counter() - t
    summary = _summary(run)
    summary["publish"] = {
        "target": store.describe(),
        "dry_run": args.dry_run,
        "uploaded": list(result.uploaded),
        "unchanged": list(result.unchanged),
        "deleted": list(result.deleted),
        "failed": list(result.failed),
    }
    hub_problems: list[str] = []
    if failure is None and not args.dry_run and config.hubs:
        from feedpub.publish.websub import notify_hubs

        changed = [config.site.feeds_url() + name for name in result.uploaded if not name.startswith("index.")]
        if changed:
            hub_problems = notify_hubs(config.hubs, changed)
        for problem in hub_problems:
            _warn(problem)
    summary["publish"]["websub_problems"] = hub_problems
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    elif args.dry_run:
        for verb, names in (("would upload", result.uploaded), ("would leave", result.unchanged), ("would delete", result.deleted)):
            for name in names:
                print(f"{verb} {name}")
    elif not args.quiet and failure is None:
        _warn(
            f"published to {store.describe()}: {len(result.uploaded)} uploaded, {len(result.unchanged)} unchanged, "
            f"{len(result.deleted)} deleted"
        )
    if failure is not None:
        raise failure
    return 1 if run.rejected and config.strict else 0


def _source_signature(config: Config) -> object:
    """(path, size, mtime) of every article and topic file: changes when a source changes."""
    sig = []
    for source in config.sources:
        for path in sorted(source.rglob("*")):
            try:
                st = path.stat()
            except OSError:
                continue
            sig.append((str(path), st.st_size, st.st_mtime_ns))
    return sig


def cmd_serve(args: argparse.Namespace) -> int:
    """``feedpub serve``: a local preview of the feeds, rebuilt when article files change."""
    import tempfile

    from feedpub.serve import PreviewServer

    config = _load(args)
    args.no_probe = True
    with tempfile.TemporaryDirectory(prefix="feedpub-serve-") as tmp:
        folder = Path(tmp)

        def rebuild() -> None:
            run = _collect_and_select(config_for_port, args, Progress(enabled=False))
            FolderTarget(folder).publish(_render(run, Progress(enabled=False), probe_network=False))

        try:
            server = PreviewServer(folder, args.port, rebuild=rebuild, signature=lambda: _source_signature(config))
        except OSError as exc:
            raise ConfigError(f"--port {args.port}: cannot listen on 127.0.0.1: {exc.strerror or exc}") from None
        url = f"http://127.0.0.1:{server.port}/"
        config_for_port = replace(config, site=replace(config.site, base_url=url))
        rebuild()
        _warn(f"serving {url} (index.html lists the feeds); Ctrl-C stops")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``feedpub check``: parse every article file and report the ones that can't be used."""
    config = _load(args)
    progress = Progress(enabled=not args.quiet)
    defs, rejected = load_topic_defs(config.sources)
    cache = _parse_cache(config, args)
    ok = 0
    bad: list[Rejection] = []
    tally = newest_first(config.sources, config.pattern)  # the cache's order
    for done, item in enumerate(collect_articles(tally, cache), 1):
        if isinstance(item, Rejection):
            bad.append(item)
        else:
            ok += 1
        progress.update("checking articles", done)
    progress.clear()
    rejected.extend(reversed(bad))  # in path order
    if cache is not None:
        cache.save()
    if args.json:
        out = {"read": tally.count, "accepted": ok, "rejected": [_rejected(r) for r in rejected]}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for r in rejected:
            print(f"{printable(r.path)}: {r.reason}")
        if not args.quiet:
            _warn(f"{tally.count} article files: {ok} usable, {len(rejected)} rejected; {len(defs)} topic definitions")
    return 1 if rejected else 0


def cmd_topics(args: argparse.Namespace) -> int:
    """``feedpub topics``: a table of every topic and what its feed would publish."""
    config = _load(args)
    args.quiet = args.quiet or args.json
    run = _collect_and_select(config, args, Progress(enabled=not args.quiet))
    rows = _summary(run)["topics"]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    header = ("TOPIC", "SLUG", "ARTICLES", "SELECTED", "FEED")
    table = [header] + [(r["name"], r["slug"], str(r["articles"]), str(r["items"]), r["files"][0] if r["files"] else "") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [c.ljust(w) if i in (0, 1, 4) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
    return 0


COMMANDS = {"build": cmd_build, "check": cmd_check, "topics": cmd_topics, "serve": cmd_serve, "publish": cmd_publish}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``feedpub`` console script; returns the exit status."""
    _warned.clear()
    try:
        args = make_parser().parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)
        return COMMANDS[args.command](args)
    except FeedpubError as exc:
        print(f"feedpub: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("feedpub: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (``feedpub topics | head``): not an error worth a traceback.
        sys.stderr.close()
        return 0
