"""The ``feedpub`` command: parses arguments, calls :mod:`feedpub.build`, prints, maps errors to exit statuses.

Exit status: 0 done, 1 with --strict a rejected file or no article in any feed (``check``:
a rejected file), 2 usage or config error or nothing to publish, 3 the target could not
be written, 4 another run holds the lock.

Under cron nothing is printed unless something is wrong: summaries go to a terminal
only, and a rejected file is reported once, when it is new or changed. With ``--json``
stdout holds exactly one JSON object, whatever happens (:mod:`feedpub.report`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from feedpub import __version__, build, cli_help, config_env, config_file, config_values, report
from feedpub.build import BuildResult, Overrides
from feedpub.build_report import no_note, nothing_selected, rejection_json
from feedpub.cache import uptodate
from feedpub.config import DEFAULT_BASE_URL, MAX_ITEMS, Config, check_base_url, load_config
from feedpub.errors import ConfigError, FeedpubError
from feedpub.progress import Progress, listing
from feedpub.records import Rejection
from feedpub.text import printable
from feedpub.times import from_micros


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


def _common(p: argparse.ArgumentParser, *, report: bool = True, strict: bool = True) -> None:
    """The flags of every command; ``report`` adds ``--json`` and ``--quiet``, ``strict`` adds ``--strict``
    (only where they change something: ``check`` always fails on a rejected file)."""
    p.add_argument(
        "--config", type=Path, metavar="FILE", help=f"config file (default: the first of {config_file.looked_for()} present)"
    )
    p.add_argument(
        "--source", action="append", type=Path, metavar="DIR", help="folder of article files (repeatable; replaces the config's)"
    )
    if report:
        p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout, errors included")
        loudness = p.add_mutually_exclusive_group()
        loudness.add_argument("--quiet", "-q", action="store_true", help="no progress display and no notices")
        loudness.add_argument(
            "--verbose", "-v", action="store_true", help="list each file read, skipped, selected, rendered, written, uploaded"
        )
    if strict:
        p.add_argument("--strict", action="store_true", help="exit 1 when any article file was rejected or no feed has an item")
    cache = p.add_mutually_exclusive_group()  # a cache folder means nothing to a run without the cache
    cache.add_argument(
        "--cache-dir", type=Path, metavar="DIR", help="cache folder (default: the config's, else beside the output)"
    )
    cache.add_argument("--no-cache", action="store_true", help="parse every file and render every feed; leave the cache alone")


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (also used to document them)."""
    parser = _Parser(
        prog="feedpub",
        description=cli_help.DESCRIPTION,
        epilog=cli_help.MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"feedpub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def command(name: str) -> argparse.ArgumentParser:
        """A subcommand with its help from :mod:`feedpub.cli_help`: description, examples, exit statuses, environment."""
        text = cli_help.COMMANDS[name]
        return sub.add_parser(
            name, help=text.line, description=text.description, epilog=text.epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip

    init = command("init")
    init.add_argument("dir", nargs="?", type=Path, default=Path(), metavar="DIR", help="the new site's folder (default: here)")

    builder = command("build")
    _common(builder)
    builder.add_argument("--output", type=Path, metavar="DIR", help="output folder (default: the config's, else output/)")
    builder.add_argument("--base-url", metavar="URL", help="where the feeds will be served (self links, OPML)")
    builder.add_argument("--no-probe", action="store_true", help="don't probe enclosure images this run (use the cache only)")
    _selection_flags(builder)

    publish = command("publish")
    _common(publish)
    publish.add_argument(
        "--target",
        metavar="DIR|s3://BUCKET/PREFIX/|gs://BUCKET/PREFIX/|az://CONTAINER/PREFIX/",
        help="where to publish (default: the config's publish.target, else output/)",
    )
    publish.add_argument("--base-url", metavar="URL", help="where the feeds are served (required for a bucket or container)")
    publish.add_argument(
        "--dry-run",
        action="store_true",
        help="print each upload and delete as '(dryrun) upload: NAME to s3://BUCKET/KEY', then the counts; write nothing",
    )
    publish.add_argument(
        "--force", action="store_true", help="upload every file again, changed or not (new headers, a repaired store)"
    )
    publish.add_argument("--no-probe", action="store_true", help="don't probe enclosure images this run (use the cache only)")
    _selection_flags(publish)

    check = command("check")
    _common(check, strict=False)

    serve = command("serve")
    _common(serve, report=False, strict=False)
    serve.add_argument("--port", type=int, default=8000, metavar="N", help="port to listen on (default 8000; 0 picks a free one)")
    serve.add_argument(
        "--bind", default="127.0.0.1", metavar="ADDRESS", help="IP address to listen on (default 127.0.0.1; 0.0.0.0: every one)"
    )
    serve.add_argument(
        "--base-url", metavar="URL", help="URL the served links use (self links, OPML, index.html; default: the preview's own)"
    )
    _selection_flags(serve)

    topics = command("topics")
    _common(topics, strict=False)
    _selection_flags(topics)

    shown = command("config")
    shown.add_argument(
        "--config", type=Path, metavar="FILE", help=f"config file (default: the first of {config_file.looked_for()} present)"
    )
    shown.add_argument("--source", action="append", type=Path, metavar="DIR", help="folder of article files (repeatable)")
    shown.add_argument("--output", type=Path, metavar="DIR", help="output folder, as build --output")
    shown.add_argument("--cache-dir", type=Path, metavar="DIR", help="cache folder, as build --cache-dir")
    shown.add_argument("--base-url", metavar="URL", help="where the feeds are served, as build --base-url")
    shown.add_argument("--target", metavar="DIR|s3://BUCKET/PREFIX/", help="where to publish, as publish --target")
    _selection_flags(shown)
    shown.add_argument("--json", action="store_true", help="print one JSON object: the values and a map of their sources")
    return parser


NO_BASE_URL = f"no base URL given (--base-url or site.base_url): self links use {DEFAULT_BASE_URL} (a local preview)"


class _Run:
    """What one command reports: problems on stderr as they happen, and its ``--json`` sections.

    ``lines`` keeps the problems printed (without the ``feedpub:`` prefix) for the JSON
    ``warnings`` and for the up-to-date stamp, which prints them again; rejected files
    are not among them (the JSON lists those, and a rerun has none that is new).
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.body: dict[str, Any] = {}

    def warn(self, message: str) -> None:
        self.lines.append(message)
        print(f"feedpub: {message}", file=sys.stderr)

    def skipped(self, args: argparse.Namespace) -> Callable[[Rejection], None]:
        """Reports a rejected file on stderr when it is new or changed since the last run
        (with ``--verbose``: every one).

        A file still broken as it was is old news: told on every run, cron would mail it
        every ten minutes (``check`` and ``--json`` list them all). With ``--quiet --json``
        the JSON alone lists them.
        """
        silent = getattr(args, "quiet", False) and getattr(args, "json", False)
        verbose = getattr(args, "verbose", False)

        def tell(r: Rejection) -> None:
            if (verbose or not r.known) and not silent:
                print(f"feedpub: skipped {printable(r.path)}: {r.reason}", file=sys.stderr)

        return tell


def _config_path(args: argparse.Namespace) -> Path | None:
    """The config file that applies: ``--config``, else the first candidate present, else none."""
    if args.config is None:
        found = config_file.discover()
        return Path(found) if found is not None else None
    if not os.path.lexists(args.config):
        raise ConfigError(f"{printable(str(args.config))}: config file not found (named by --config)")
    if args.config.is_dir():
        raise ConfigError(f"{printable(str(args.config))}: a folder, not a config file (named by --config)")
    return args.config


def _load(args: argparse.Namespace, *, need_sources: bool = True) -> Config:
    """The config a command runs with: file, environment (``args.env``) and flags applied, every value checked."""
    path = _config_path(args)
    config = load_config(path, getattr(args, "env", None))
    if args.source:
        config = replace(config, sources=tuple(args.source))
    if getattr(args, "output", None):
        config = replace(config, output=args.output)
    if getattr(args, "cache_dir", None):
        config = replace(config, cache_dir=args.cache_dir)
    if getattr(args, "base_url", None):
        config = replace(config, site=replace(config.site, base_url=check_base_url(args.base_url)))
    if getattr(args, "strict", False):
        config = replace(config, strict=True)
    if getattr(args, "max_items", None) is not None:
        config_values.whole(1, MAX_ITEMS)(args.max_items, "--max-items")
    if getattr(args, "min_quality", None) is not None:
        config_values.number()(args.min_quality, "--min-quality")
    if need_sources and not config.sources:
        where = f"in {printable(str(path))}" if path else f"in a config file (looked for {config_file.looked_for()})"
        raise ConfigError(f"no sources: give --source DIR or list 'sources' {where}")
    for source in config.sources if need_sources else ():
        if not source.is_dir():
            raise ConfigError(f"{printable(str(source))}: source folder not found")
    return config


def _overrides(args: argparse.Namespace) -> Overrides:
    """The selection flags given (the config's rules where not)."""
    return Overrides(min_quality=args.min_quality, max_items=args.max_items, include_unpublished=bool(args.include_unpublished))


def _shown(args: argparse.Namespace) -> tuple[Progress, Callable[[str, str], None]]:
    """The progress display (on a terminal, without ``--quiet``) and the ``--verbose`` listing."""
    progress = Progress(enabled=not args.quiet)
    return progress, listing(progress) if args.verbose else no_note


def _environment(run: _Run) -> config_env.EnvOverrides:
    """The ``FEEDPUB_*`` overrides of this process's environment; one warning per variable that names no key."""
    env = config_env.read(os.environ)
    for name in env.unknown:
        run.warn(config_env.unknown_warning(printable(name)))
    return env


def _now() -> datetime:
    """The one reading of the clock per build (where the up-to-date check reads it): everything
    downstream takes it as a parameter."""
    return from_micros(uptodate._now_us())


def _status(result: BuildResult, config: Config, run: _Run) -> int:
    """The exit status of a build that wrote its files: 1 under ``--strict`` when a file was
    rejected or no feed has an item (a line says so), else 0."""
    if not config.strict:
        return 0
    if result.rejected:
        n = len(result.rejected)
        files = "1 file was" if n == 1 else f"{n} files were"
        run.warn(f"--strict: {files} rejected ('feedpub check' lists every one)")
        return 1
    if nothing_selected(result.selected, result.read) is not None:
        return 1  # its warning said why
    return 0


def cmd_build(args: argparse.Namespace, run: _Run) -> int:
    """``feedpub build``: collect, select, render and write into the output folder."""
    config = _load(args)
    if not config.site.base_url and not args.quiet:
        run.warn(NO_BASE_URL)
    progress, note = _shown(args)
    result = build.run(
        config, _overrides(args), _now(), use_cache=not args.no_cache, probe_network=not args.no_probe,
        progress=progress, warn=run.warn, on_rejection=run.skipped(args), note=note,
    )  # fmt: skip
    run.body = build.summary(result)
    status = _status(result, config, run)
    if not args.json and not args.quiet and report.on_terminal():
        print(f"feedpub: {report.build_line(run.body)}", file=sys.stderr)
    if args.verbose:
        return status  # no up-to-date stamp: its replay could not list what this run did
    problem = build.save_stamp(
        result, argv=args.argv, config_path=None if args.config is None else str(args.config),
        quiet=args.quiet, json=args.json, warnings=run.lines, status=status,
    )  # fmt: skip
    if problem and not args.quiet:
        run.warn(problem)
    return status


def cmd_publish(args: argparse.Namespace, run: _Run) -> int:
    """``feedpub publish``: build, push to the target (folder, S3, GCS or Azure), then notify hubs."""
    from feedpub.build_publish import publish, publish_target

    config = _load(args)
    target = publish_target(config, args.target)
    if not config.site.base_url and not args.quiet:
        run.warn(NO_BASE_URL)
    progress, note = _shown(args)
    result = publish(
        config, _overrides(args), _now(), target=target, dry_run=args.dry_run, force=args.force, use_cache=not args.no_cache,
        probe_network=not args.no_probe, progress=progress, warn=run.warn, on_rejection=run.skipped(args), note=note,
    )  # fmt: skip
    run.body = build.summary(result)
    done = run.body["publish"]
    if args.dry_run and not args.json:
        # The lines of `aws s3 sync --dryrun`, so what users grep for keeps working.
        for action in done["actions"]:
            if action["action"] == "upload":
                print(f"(dryrun) upload: {action['name']} to {action['location']}")
            else:
                print(f"(dryrun) delete: {action['location']}")
        print(f"would upload {len(done['uploaded'])}, leave {len(done['unchanged'])}, delete {len(done['deleted'])}")
    published = result.published
    if published is not None and published.failure is not None:
        raise published.failure  # after the report of what was done (the JSON's "publish")
    status = _status(result, config, run)
    if published is not None and not (args.json or args.dry_run or args.quiet) and report.on_terminal():
        print(
            f"feedpub: published to {published.target}: {len(done['uploaded'])} uploaded, "
            f"{len(done['unchanged'])} unchanged, {len(done['deleted'])} deleted",
            file=sys.stderr,
        )
    return status


def cmd_serve(args: argparse.Namespace, run: _Run) -> int:
    """``feedpub serve``: a local preview of the feeds, rebuilt when article files change."""
    from feedpub.serve import preview

    config = _load(args)
    links = f"; links use {config.site.base_url}" if args.base_url else ""
    preview(
        config, _overrides(args), args.port, bind=args.bind, base_url=config.site.base_url if args.base_url else None,
        use_cache=not args.no_cache, warn=run.warn, on_rejection=run.skipped(args),
        ready=lambda url: run.warn(f"serving {url} (index.html lists the feeds{links}); Ctrl-C stops"),
    )  # fmt: skip
    return 0


def cmd_check(args: argparse.Namespace, run: _Run) -> int:
    """``feedpub check``: parse every article file and report every one that can't be used."""
    config = _load(args)
    progress, note = _shown(args)
    checked = build.check(config, use_cache=not args.no_cache, progress=progress, note=note)
    run.body = {
        "read": checked.read,
        "accepted": checked.accepted,
        "rejected": [rejection_json(r) for r in checked.rejected],
    }
    if not args.json:
        for r in checked.rejected:
            print(f"{printable(r.path)}: {r.reason}")
        if not args.quiet and report.on_terminal():
            print(
                f"feedpub: {checked.read} article files: {checked.accepted} usable, {len(checked.rejected)} rejected; "
                f"{checked.definitions} topic definitions",
                file=sys.stderr,
            )
    return 1 if checked.rejected else 0


def cmd_topics(args: argparse.Namespace, run: _Run) -> int:
    """``feedpub topics``: a table of every topic and what its feed would publish."""
    config = _load(args)
    args.quiet = args.quiet or args.json
    progress, note = _shown(args)
    result = build.collect_and_select(
        config, _overrides(args), _now(), use_cache=not args.no_cache, progress=progress,
        warn=run.warn, on_rejection=run.skipped(args), note=note,
    )  # fmt: skip
    run.body = build.summary(result)
    if args.json:
        return 0
    rows = run.body["topics"]
    header = ("TOPIC", "SLUG", "ARTICLES", "SELECTED", "FEED")
    table = [header] + [
        (r["name"], r["slug"], str(r["articles"]), str(r["items"]), r["files"][0] if r["files"] else "") for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [c.ljust(w) if i in (0, 1, 4) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip())
    return 0


def cmd_init(args: argparse.Namespace, run: _Run) -> int:
    """``feedpub init [DIR]``: a new site (config, an article, a topic) that ``build`` turns into feeds."""
    import shlex

    from feedpub.init import init

    for path in init(args.dir):
        print(f"wrote {printable(str(path))}")
    here = "" if args.dir == Path() else f"cd {shlex.quote(printable(str(args.dir)))} && "
    print(f"next: {here}feedpub build   (or feedpub serve for a preview)")
    return 0


def cmd_config(args: argparse.Namespace, run: _Run) -> int:
    """``feedpub config``: the effective configuration, each value with where it came from."""
    from feedpub import config_show
    from feedpub.config_file import load_yaml

    config = _load(args, need_sources=False)  # every value checked, as a run would
    if args.target is not None:
        config_values.check_target(args.target, "--target")
    raw = load_yaml(str(config.path)) if config.path is not None else None
    values, sources = config_show.effective(config.path, raw, args.env, config_show.flag_values(args))
    if args.json:
        run.body = config_show.as_json(config.path, values, sources, os.environ)
    else:
        print(config_show.as_yaml(config.path, values, sources, os.environ), end="")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, _Run], int]] = {
    "init": cmd_init,
    "config": cmd_config,
    "build": cmd_build,
    "check": cmd_check,
    "topics": cmd_topics,
    "serve": cmd_serve,
    "publish": cmd_publish,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``feedpub`` console script; returns the exit status.

    Every error ends in one ``feedpub: error:`` line on stderr and its exit status; with
    ``--json`` on the command line stdout also gets the run's one JSON object, usage
    errors included (:func:`feedpub.report.envelope`).
    """
    started = time.perf_counter()
    words = list(sys.argv[1:] if argv is None else argv)
    run = _Run()
    # Until the arguments are parsed (a usage error may stop that): what they seem to ask.
    command = next((w for w in words if w in COMMANDS), None)
    wants_json = "--json" in words
    error: str | None = None
    try:
        args = make_parser().parse_args(words)
        args.argv = words
        command, wants_json = args.command, bool(getattr(args, "json", False))
        if command != "init":  # every other command reads the config
            args.env = _environment(run)
        status = COMMANDS[args.command](args, run)
    except FeedpubError as exc:
        print(f"feedpub: error: {exc}", file=sys.stderr)
        status, error = exc.exit_status, str(exc)
    except KeyboardInterrupt:
        print("feedpub: interrupted", file=sys.stderr)
        status, error = 130, "interrupted"
    except BrokenPipeError:
        # stdout closed early (``feedpub topics | head``): not an error worth a traceback.
        sys.stderr.close()
        return 0
    if wants_json:
        duration = time.perf_counter() - started
        try:
            report.print_json(
                report.envelope(command, run.body, status=status, error=error, warnings=run.lines, duration=duration)
            )
        except BrokenPipeError:
            sys.stderr.close()
    return status
