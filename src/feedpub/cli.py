"""The ``feedpub`` command: parses arguments, calls :mod:`feedpub.build`, prints, maps errors to exit statuses.

Exit status: 0 done, 1 rejected files with --strict (or ``check``), 2 usage or config
error, 3 the target could not be written, 4 another run holds the lock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from feedpub import __version__, build, config_file, config_values
from feedpub.build import Overrides
from feedpub.cache import uptodate
from feedpub.config import DEFAULT_BASE_URL, MAX_ITEMS, Config, check_base_url, load_config
from feedpub.errors import ConfigError, FeedpubError
from feedpub.progress import Progress
from feedpub.records import Rejection
from feedpub.text import printable


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
        p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
        p.add_argument("--quiet", "-q", action="store_true", help="no progress display and no notices")
    if strict:
        p.add_argument("--strict", action="store_true", help="exit 1 when any article file was rejected")
    p.add_argument("--cache-dir", type=Path, metavar="DIR", help="cache folder (default: the config's, else beside the output)")
    p.add_argument("--no-cache", action="store_true", help="parse every file and render every feed; leave the cache alone")


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (also used to document them)."""
    parser = _Parser(
        prog="feedpub",
        description="Per-topic RSS 2.0, Atom 1.0 and JSON Feed files from news-article files, published to a folder or S3.",
    )
    parser.add_argument("--version", action="version", version=f"feedpub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    builder = sub.add_parser("build", help="write the feeds into a folder")
    _common(builder)
    builder.add_argument("--output", type=Path, metavar="DIR", help="output folder (default: the config's, else output/)")
    builder.add_argument("--base-url", metavar="URL", help="where the feeds will be served (self links, OPML)")
    builder.add_argument("--no-probe", action="store_true", help="don't probe enclosure images this run (use the cache only)")
    _selection_flags(builder)

    publish = sub.add_parser("publish", help="build the feeds and push them to a folder or S3, then ping WebSub hubs")
    _common(publish)
    publish.add_argument(
        "--target",
        metavar="DIR|s3://BUCKET/PREFIX/",
        help="where to publish (default: the config's publish.target, else output/)",
    )
    publish.add_argument("--base-url", metavar="URL", help="where the feeds are served (required for S3)")
    publish.add_argument("--dry-run", action="store_true", help="print what would be uploaded, left and deleted; write nothing")
    publish.add_argument("--no-probe", action="store_true", help="don't probe enclosure images this run (use the cache only)")
    _selection_flags(publish)

    check = sub.add_parser("check", help="read and validate article files only; exit 1 if any is rejected")
    _common(check, strict=False)

    serve = sub.add_parser("serve", help="build into a temporary folder and serve it on 127.0.0.1, rebuilding on changes")
    _common(serve, report=False, strict=False)
    serve.add_argument("--port", type=int, default=8000, metavar="N", help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    _selection_flags(serve)

    topics = sub.add_parser("topics", help="list topics: name, slug, articles, selected, feed file")
    _common(topics, strict=False)
    _selection_flags(topics)
    return parser


NO_BASE_URL = f"no base URL given (--base-url or site.base_url): self links use {DEFAULT_BASE_URL} (a local preview)"


class _Messages:
    """Writes ``feedpub: ...`` lines on stderr and keeps them (an up-to-date rerun prints them again)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def warn(self, message: str) -> None:
        line = f"feedpub: {message}"
        self.lines.append(line)
        print(line, file=sys.stderr)

    def skipped(self, args: argparse.Namespace) -> Callable[[Rejection], None]:
        """Reports rejected files, except with ``--quiet --json`` (the JSON lists them)."""

        def report(r: Rejection) -> None:
            if not getattr(args, "quiet", False) or not getattr(args, "json", False):
                self.warn(f"skipped {printable(r.path)}: {r.reason}")

        return report


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


def _load(args: argparse.Namespace) -> Config:
    path = _config_path(args)
    config = load_config(path)
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
    if not config.sources:
        where = f"in {printable(str(path))}" if path else f"in a config file (looked for {config_file.looked_for()})"
        raise ConfigError(f"no sources: give --source DIR or list 'sources' {where}")
    for source in config.sources:
        if not source.is_dir():
            raise ConfigError(f"{printable(str(source))}: source folder not found")
    return config


def _overrides(args: argparse.Namespace) -> Overrides:
    """The selection flags given (the config's rules where not)."""
    return Overrides(min_quality=args.min_quality, max_items=args.max_items, include_unpublished=bool(args.include_unpublished))


def _now() -> datetime:
    """The one reading of the clock per build: everything downstream takes it as a parameter."""
    return datetime.now(UTC)


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_build(args: argparse.Namespace) -> int:
    """``feedpub build``: collect, select, render and write into the output folder."""
    config = _load(args)
    messages = _Messages()
    if not config.site.base_url and not args.quiet:
        messages.warn(NO_BASE_URL)
    result = build.run(
        config, _overrides(args), _now(), use_cache=not args.no_cache, probe_network=not args.no_probe,
        progress=Progress(enabled=not args.quiet), warn=messages.warn, on_rejection=messages.skipped(args),
    )  # fmt: skip
    summary = build.summary(result)
    status = 1 if result.rejected and config.strict else 0
    warned = list(messages.lines)
    if args.json:
        _print_json(summary)
    elif not args.quiet:
        messages.warn(uptodate.build_line(summary))
    problem = build.save_stamp(
        result, argv=args.argv, config_path=None if args.config is None else str(args.config),
        quiet=args.quiet, json=args.json, warnings=warned, status=status,
    )  # fmt: skip
    if problem and not args.quiet:
        print(f"feedpub: {problem}", file=sys.stderr)
    return status


def cmd_publish(args: argparse.Namespace) -> int:
    """``feedpub publish``: build, push to the target (folder or S3), then notify hubs."""
    from feedpub.build_publish import publish, publish_target

    config = _load(args)
    target = publish_target(config, args.target)
    messages = _Messages()
    if not config.site.base_url and not args.quiet:
        messages.warn(NO_BASE_URL)
    result = publish(
        config, _overrides(args), _now(), target=target, dry_run=args.dry_run, use_cache=not args.no_cache,
        probe_network=not args.no_probe, progress=Progress(enabled=not args.quiet), warn=messages.warn,
        on_rejection=messages.skipped(args),
    )  # fmt: skip
    summary = build.summary(result)
    done = summary["publish"]
    if args.json:
        _print_json(summary)
    elif args.dry_run:
        for verb, key in (("would upload", "uploaded"), ("would leave", "unchanged"), ("would delete", "deleted")):
            for name in done[key]:
                print(f"{verb} {name}")
    failure = result.published.failure if result.published else None
    if not args.json and not args.dry_run and not args.quiet and failure is None:
        messages.warn(
            f"published to {done['target']}: {len(done['uploaded'])} uploaded, {len(done['unchanged'])} unchanged, "
            f"{len(done['deleted'])} deleted"
        )
    if failure is not None:
        raise failure
    return 1 if result.rejected and config.strict else 0


def cmd_serve(args: argparse.Namespace) -> int:
    """``feedpub serve``: a local preview of the feeds, rebuilt when article files change."""
    from feedpub.serve import preview

    config = _load(args)
    messages = _Messages()
    preview(
        config, _overrides(args), args.port, use_cache=not args.no_cache, warn=messages.warn,
        on_rejection=messages.skipped(args),
        ready=lambda url: messages.warn(f"serving {url} (index.html lists the feeds); Ctrl-C stops"),
    )  # fmt: skip
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``feedpub check``: parse every article file and report the ones that can't be used."""
    config = _load(args)
    checked = build.check(config, use_cache=not args.no_cache, progress=Progress(enabled=not args.quiet))
    if args.json:
        _print_json(
            {"read": checked.read, "accepted": checked.accepted, "rejected": [build.rejection_json(r) for r in checked.rejected]}
        )
    else:
        for r in checked.rejected:
            print(f"{printable(r.path)}: {r.reason}")
        if not args.quiet:
            _Messages().warn(
                f"{checked.read} article files: {checked.accepted} usable, {len(checked.rejected)} rejected; "
                f"{checked.definitions} topic definitions"
            )
    return 1 if checked.rejected else 0


def cmd_topics(args: argparse.Namespace) -> int:
    """``feedpub topics``: a table of every topic and what its feed would publish."""
    config = _load(args)
    args.quiet = args.quiet or args.json
    messages = _Messages()
    result = build.collect_and_select(
        config, _overrides(args), _now(), use_cache=not args.no_cache, progress=Progress(enabled=not args.quiet),
        warn=messages.warn, on_rejection=messages.skipped(args),
    )  # fmt: skip
    rows = build.summary(result)["topics"]
    if args.json:
        _print_json(rows)
        return 0
    header = ("TOPIC", "SLUG", "ARTICLES", "SELECTED", "FEED")
    table = [header] + [
        (r["name"], r["slug"], str(r["articles"]), str(r["items"]), r["files"][0] if r["files"] else "") for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [c.ljust(w) if i in (0, 1, 4) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip())
    return 0


COMMANDS = {"build": cmd_build, "check": cmd_check, "topics": cmd_topics, "serve": cmd_serve, "publish": cmd_publish}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``feedpub`` console script; returns the exit status."""
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
