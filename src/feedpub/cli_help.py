"""What ``feedpub COMMAND --help`` teaches: a description, examples, exit statuses, environment.

Kept apart from :mod:`feedpub.cli`, which only wires the parser: the words are here.
"""

from __future__ import annotations

from dataclasses import dataclass

ENV_CONFIG = "  FEEDPUB_<SECTION>_<KEY>  override one config key (FEEDPUB_SITE_BASE_URL, FEEDPUB_SELECTION_MIN_QUALITY)"
ENV_CACHE = "  XDG_CACHE_HOME           where up-to-date stamps are kept (default ~/.cache)"
ENV_AWS = (
    "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION,\n"
    "  AWS_ENDPOINT_URL         the AWS credential chain and endpoint (HMAC keys for gs://)"
)
ENV_AZURE = (
    "  AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_URL / AZURE_STORAGE_ACCOUNT\n"
    "  with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN   for an az:// target"
)
ENV_PROXY = "  HTTPS_PROXY, NO_PROXY     proxies for image probes and WebSub pings"

STATUS_DONE = "  0    done (rejected article files, if any, are listed on stderr once, and in --json)"
STATUS_STRICT = "  1    --strict: an article file was rejected, or no feed has an item (the feeds are still written)"
STATUS_USAGE = (
    "  2    usage or configuration error (one line naming the file and key, or the variable), or\n"
    "       nothing to publish (no article file, every file rejected): nothing written"
)
STATUS_TARGET = "  3    the output folder or object store could not be written"
STATUS_LOCK = "  4    another feedpub run holds the lock on the same folder or bucket prefix"
STATUS_TERM = "  143  stopped by SIGTERM: temporary files removed, every file whole"


@dataclass(frozen=True)
class Help:
    """One command's help: the line ``feedpub --help`` lists, the description, and the epilog's parts."""

    line: str
    description: str
    examples: tuple[str, ...]
    statuses: tuple[str, ...]
    environment: tuple[str, ...]

    def epilog(self) -> str:
        """Examples, exit statuses and environment, as RawDescriptionHelpFormatter prints them."""
        examples = [f"  {e}" for e in self.examples]
        return "\n".join(["examples:", *examples, "", "exit status:", *self.statuses, "", "environment:", *self.environment])


COMMANDS: dict[str, Help] = {
    "init": Help(
        "start a site: a config with every key, an article, a topic",
        "Write config/feedpub.yaml (every key with its default, commented), one example article in\n"
        "content/ and one topic definition in content/_data/topics/, into DIR (default: here).\n"
        "Nothing that exists is overwritten: if any of these files is there, nothing is written.",
        ("feedpub init mysite && cd mysite && feedpub build", "feedpub init            # into the current folder"),
        (
            "  0    the files were written",
            "  2    a file is already there (named), or DIR is not a folder: nothing written",
            "  3    a file could not be written",
        ),
        ("  none: init reads no environment variable (nor any config file)",),
    ),
    "build": Help(
        "write the feeds into a folder",
        "Read the article files, select each topic's items, and write RSS, Atom and JSON feeds,\n"
        "an OPML file and index.html into the output folder. Files whose bytes did not change\n"
        "are not rewritten; an identical second run only checks that nothing changed.",
        (
            "feedpub build",
            "feedpub build --source news --output public --base-url https://feeds.example.org/",
            "feedpub build --json --quiet > summary.json     # from cron",
        ),
        (STATUS_DONE, STATUS_STRICT, STATUS_USAGE, STATUS_TARGET, STATUS_LOCK, STATUS_TERM),
        (ENV_CONFIG, ENV_CACHE, ENV_PROXY),
    ),
    "publish": Help(
        "build, push to a folder, S3, GCS or Azure; ping WebSub hubs",
        "Build the feeds, upload the ones that changed to the target (a folder, by default the\n"
        "output folder, s3://BUCKET/PREFIX/, gs://BUCKET/PREFIX/ or az://CONTAINER/PREFIX/),\n"
        "delete stale ones if configured, purge the changed ones from a CDN if configured,\n"
        "then ping the WebSub hubs for the feeds that changed. --force uploads every file again.",
        (
            "feedpub publish --target s3://feeds/news/ --base-url https://feeds.example.org/news/",
            "feedpub publish --dry-run                        # (dryrun) lines, then the counts",
            "FEEDPUB_PUBLISH_TARGET=s3://feeds/news/ feedpub publish --json",
        ),
        (
            STATUS_DONE,
            STATUS_STRICT,
            STATUS_USAGE,
            "  3    the target could not be written, or publish.deadline passed waiting on the network",
            STATUS_LOCK,
            STATUS_TERM,
        ),
        (ENV_CONFIG, ENV_AWS, ENV_AZURE, ENV_PROXY),
    ),
    "serve": Help(
        "preview on 127.0.0.1, rebuilt when an article changes",
        "Build the feeds into a temporary folder and serve them on http://127.0.0.1:PORT/ with\n"
        "their Content-Types and 304 answers, rebuilding when an article file changes (one line\n"
        "per rebuild); pages open in a browser reload themselves. Ctrl-C stops it.",
        (
            "feedpub serve",
            "feedpub serve --port 0 --source news        # any free port",
            "feedpub serve --bind 0.0.0.0 --base-url http://laptop.local:8000/",
        ),
        ("  0    stopped with Ctrl-C", STATUS_USAGE),
        (ENV_CONFIG,),
    ),
    "check": Help(
        "validate the article files only; exit 1 if any is rejected",
        "Read every article file and print 'PATH: reason' on stdout for each one that cannot be\n"
        "used, every time (build reports a file only while it is new or changed).",
        ("feedpub check", "feedpub check --source news --json"),
        (
            "  0    every article file can be used",
            "  1    at least one article file was rejected (listed on stdout)",
            "  2    usage or configuration error (one line naming the file and key, or the variable)",
        ),
        (ENV_CONFIG,),
    ),
    "topics": Help(
        "list topics: name, slug, articles, selected, feed file",
        "Print a table of every topic: its name, slug, how many articles have it, how many the\n"
        "selection rules keep, and its feed file. Nothing is written.",
        ("feedpub topics", "feedpub topics --min-quality 50", "feedpub topics --json"),
        ("  0    done", STATUS_USAGE),
        (ENV_CONFIG,),
    ),
    "config": Help(
        "print the effective config and where each value came from",
        "Print the configuration a run would use: the defaults, overridden by the config file,\n"
        "then by FEEDPUB_* variables, then by the flags given. YAML with\n"
        "each value's source as a comment, or JSON with --json. Secrets are never printed.",
        (
            "feedpub config",
            "FEEDPUB_SITE_BASE_URL=https://feeds.example.org/ feedpub config",
            "feedpub config --json --output public",
        ),
        ("  0    done", "  2    usage or configuration error (one line naming the file and key, or the variable)"),
        (ENV_CONFIG, "  AWS_*                    listed by name only, never by value"),
    ),
}

DESCRIPTION = "Per-topic RSS 2.0, Atom 1.0 and JSON Feed files from news-article files, published to a folder, S3, GCS or Azure."

MAIN_EPILOG = """examples:
  feedpub init mysite && cd mysite && feedpub build
  feedpub serve                      # preview on http://127.0.0.1:8000/
  feedpub publish --target s3://feeds/news/ --base-url https://feeds.example.org/news/
  feedpub COMMAND --help             # a command's flags, examples and exit statuses

exit status:
  0    done (rejected article files, if any, are listed on stderr once, and in --json)
  1    --strict (or check): an article file was rejected, or no feed has an item
  2    usage or configuration error, or nothing to publish (a source folder with no
       article file, every file rejected): nothing written, the last feeds are kept
  3    the output folder or object store could not be written, or publish reached
       publish.deadline still waiting on the network
  4    another feedpub run holds the lock on the same folder or bucket prefix
  143  stopped by SIGTERM: temporary files removed, every file whole

environment:
  FEEDPUB_<SECTION>_<KEY>  override one config key; precedence: flags, environment, file, defaults"""
