"""What ``feedpub COMMAND --help`` teaches: a description, examples, exit statuses, environment.

Kept apart from :mod:`feedpub.cli`, which only wires the parser: the words are here.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 80
"""No line of any help text is wider (argparse wraps the flags' lines; these are printed as written)."""

ENV_CONFIG = (
    "  FEEDPUB_<SECTION>_<KEY>  override one config key, e.g. FEEDPUB_SITE_BASE_URL,\n"
    "                           FEEDPUB_SELECTION_MIN_QUALITY (flags win over them)"
)
ENV_CACHE = "  XDG_CACHE_HOME           where up-to-date stamps are kept (default ~/.cache)"
ENV_AWS = (
    "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,\n"
    "  AWS_REGION, AWS_ENDPOINT_URL\n"
    "                           the AWS credential chain and endpoint (s3://; for\n"
    "                           gs://, a Cloud Storage HMAC key in the key variables)"
)
ENV_AZURE = (
    "  AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_URL or\n"
    "  AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN\n"
    "                           the Azure credentials, for an az:// target"
)
ENV_COLOUR = "  NO_COLOR                 set and not empty: no colour (unless --color always)"
ENV_PROXY = "  HTTPS_PROXY, NO_PROXY    proxies for image probes and WebSub pings"

STATUS_DONE = (
    "  0    done (rejected article files, if any, are listed on stderr when new or\n       changed, and in --json every time)"
)
STATUS_STRICT = "  1    --strict: an article file was rejected, or no feed has an item (the\n       feeds are still written)"
STATUS_CONFIG = "  2    usage or configuration error: one line naming the file and key, or the\n       variable"
STATUS_USAGE = (
    f"{STATUS_CONFIG}; or nothing to publish (no article file, every file rejected):\n"
    "       nothing is written, the last feeds stay"
)
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
        "Write config/feedpub.yaml (every key with its default, commented), one example\n"
        "article in content/ and one topic definition in content/_data/topics/, into DIR\n"
        "(default: here). Nothing is overwritten: if any of these files is there,\n"
        "nothing is written.",
        ("feedpub init mysite && cd mysite && feedpub build", "feedpub init            # into the current folder"),
        (
            "  0    the files were written",
            "  2    a file is already there (named), or DIR is not a folder: nothing written",
            "  3    a file could not be written",
        ),
        (ENV_COLOUR, "  (init reads no other variable, nor any config file)"),
    ),
    "build": Help(
        "write the feeds into a folder",
        "Read the article files, select each topic's items, and write RSS, Atom and JSON\n"
        "feeds, an OPML file and index.html into the output folder (hugo's public/).\n"
        "Files whose bytes did not change are not rewritten; an identical second run only\n"
        "checks that nothing changed. Give --base-url (or site.base_url) for feeds that\n"
        "others will read: without it, self links point at a local preview address.",
        (
            "feedpub build",
            "feedpub build --source news --output public --base-url https://example.org/",
            "feedpub build --json --quiet > summary.json     # from cron",
        ),
        (
            STATUS_DONE,
            STATUS_STRICT,
            STATUS_USAGE,
            "  3    the output folder could not be written",
            STATUS_LOCK,
            STATUS_TERM,
        ),
        (ENV_CONFIG, ENV_CACHE, ENV_PROXY, ENV_COLOUR),
    ),
    "publish": Help(
        "build, push to a folder, S3, GCS or Azure, ping WebSub hubs",
        "Build the feeds and upload the files that changed (by checksum, as hugo deploy\n"
        "does) to the target: a folder (by default the output folder),\n"
        "s3://BUCKET/PREFIX/, gs://BUCKET/PREFIX/ or az://CONTAINER/PREFIX/. Stale files\n"
        "are deleted if publish.delete_stale says so, changed ones purged from a CDN if\n"
        "configured; then the WebSub hubs of the feeds that changed are pinged. A bucket\n"
        "or container target needs --base-url (or site.base_url).",
        (
            "feedpub publish --target s3://feeds/news/ --base-url https://example.org/news/",
            "feedpub publish --dry-run               # (dryrun) lines, then the counts",
            "FEEDPUB_PUBLISH_TARGET=gs://feeds/news/ feedpub publish --json",
        ),
        (
            STATUS_DONE,
            STATUS_STRICT,
            STATUS_USAGE,
            "  3    the target could not be written, or publish.deadline passed while\n       waiting on the network",
            STATUS_LOCK,
            STATUS_TERM,
        ),
        (ENV_CONFIG, ENV_AWS, ENV_AZURE, ENV_PROXY, ENV_COLOUR),
    ),
    "serve": Help(
        "preview on 127.0.0.1, rebuilt when an article changes",
        "Build the feeds into a temporary folder and serve them on\n"
        "http://127.0.0.1:PORT/ (as hugo server does) with their Content-Types and 304\n"
        "answers, rebuilding when an article file changes (one line per rebuild); pages\n"
        "open in a browser reload themselves. Nothing is written to the output folder.\n"
        "Ctrl-C stops it.",
        (
            "feedpub serve",
            "feedpub serve --port 0 --source news        # any free port",
            "feedpub serve --bind 0.0.0.0 --base-url http://laptop.local:8000/",
        ),
        ("  0    stopped with Ctrl-C or SIGTERM", STATUS_USAGE),
        (ENV_CONFIG, ENV_COLOUR),
    ),
    "check": Help(
        "validate the article files only; exit 1 if any is rejected",
        "Read every article file and print 'PATH: reason' on stdout for each one that\n"
        "cannot be used, every time (build reports a file only while it is new or\n"
        "changed). Nothing is written.",
        ("feedpub check", "feedpub check --source news --json"),
        (
            "  0    every article file can be used",
            "  1    at least one article file was rejected (listed on stdout)",
            STATUS_CONFIG,
        ),
        (ENV_CONFIG, ENV_COLOUR),
    ),
    "topics": Help(
        "list topics: name, slug, articles, selected, feed file",
        "Print a table of every topic: its name, slug, how many articles have it, how\n"
        "many the selection rules keep, and its feed file. Nothing is written.",
        ("feedpub topics", "feedpub topics --min-quality 50", "feedpub topics --json"),
        ("  0    done", STATUS_USAGE),
        (ENV_CONFIG, ENV_COLOUR),
    ),
    "config": Help(
        "print the effective config and where each value came from",
        "Print the configuration a run would use: the defaults, overridden by the config\n"
        "file, then by FEEDPUB_* variables, then by the flags given. YAML with each\n"
        "value's source as a comment, or JSON with --json. Secrets are never printed.",
        (
            "feedpub config",
            "FEEDPUB_SITE_BASE_URL=https://example.org/ feedpub config",
            "feedpub config --json --output public",
        ),
        ("  0    done", STATUS_CONFIG),
        (ENV_CONFIG, "  AWS_*                    listed by name only, never by value", ENV_COLOUR),
    ),
}

DESCRIPTION = (
    "Per-topic RSS 2.0, Atom 1.0 and JSON Feed files from a folder of news-article\n"
    "files (Markdown with YAML front matter), published to a folder, S3, Google Cloud\n"
    "Storage or Azure Blob Storage."
)

MAIN_EPILOG = f"""examples:
  feedpub init mysite && cd mysite && feedpub build
  feedpub serve                      # preview on http://127.0.0.1:8000/
  feedpub publish --target s3://feeds/news/ --base-url https://example.org/news/
  feedpub COMMAND --help             # its flags, examples and exit statuses

exit status:
  0    done (rejected article files, if any, are listed on stderr when new)
  1    --strict (or check): an article file was rejected, or no feed has an item
  2    usage or configuration error, or nothing to publish (no article file,
       every file rejected): nothing written, the last feeds stay
  3    the output folder or the target could not be written, or publish reached
       publish.deadline still waiting on the network
{STATUS_LOCK}
{STATUS_TERM}

environment:
  FEEDPUB_<SECTION>_<KEY>  override one config key; precedence: flags, then the
                           environment, then the config file, then the defaults
{ENV_COLOUR}"""
