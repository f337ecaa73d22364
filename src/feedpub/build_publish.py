"""``feedpub publish``: a build under the target's lock, pushed to the target, then WebSub pings.

Beside :mod:`feedpub.build`, whose :func:`~feedpub.build.prepare` makes the files; this
module only adds where they go and who is told.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from feedpub.build import (
    BuildResult,
    OnRejection,
    Overrides,
    Published,
    Warn,
    ignore,
    prepare,
)
from feedpub.config import Config
from feedpub.errors import ConfigError, FeedpubError
from feedpub.progress import Progress
from feedpub.publish import Target
from feedpub.publish.folder import FolderTarget
from feedpub.publish.lock import acquire_lock, lock_file
from feedpub.records import PublishResult
from feedpub.sigterm import stop_on_sigterm


def publish_target(config: Config, target: str | None = None) -> str:
    """Where to publish: ``target``, else the config's ``publish.target``, else the output folder.

    Raises :class:`ConfigError` for S3 without a base URL: the feeds' self links would
    point at a local preview address.
    """
    target = target or config.publish.target or str(config.output)
    if target.startswith("s3://") and not config.site.base_url:
        raise ConfigError("publishing to S3 needs --base-url (or site.base_url): where readers fetch the feeds")
    return target


def lock_key(store: Target) -> str:
    """What the run lock is keyed by: the place written, however the target was typed.

    A folder by its resolved path; a bucket by the endpoint the client uses (no user
    info, scheme and host lower-cased), the bucket and the normalised prefix, so
    ``s3://b/news`` and ``s3://b/news/`` are one lock.
    """
    if isinstance(store, FolderTarget):
        return store.lock_key()
    endpoint = urlsplit(str(getattr(store, "endpoint", "")))
    where = endpoint._replace(scheme=endpoint.scheme.lower(), netloc=endpoint.netloc.lower(), path=endpoint.path.rstrip("/"))
    return f"s3 {urlunsplit(where)} {getattr(store, 'bucket', '')} {getattr(store, 'prefix', '')}"


def make_target(config: Config, target: str) -> Target:
    """The target a ``publish`` writes to: a bucket for ``s3://`` URLs, else a folder."""
    if target.startswith("s3://"):
        from feedpub.publish.s3 import (
            S3Target,  # boto3 is imported only when publishing to S3
        )

        return S3Target(target, config.publish)
    return FolderTarget(Path(target))


def publish(
    config: Config,
    overrides: Overrides,
    now: datetime,
    *,
    target: str | None = None,
    dry_run: bool = False,
    use_cache: bool = True,
    probe_network: bool = True,
    progress: Progress | None = None,
    warn: Warn = ignore,
    on_rejection: OnRejection = ignore,
) -> BuildResult:
    """Build at ``now`` and make ``target`` (see :func:`publish_target`) hold the files, then ping the hubs.

    The build and the upload happen under the target's lock (:class:`LockError` when
    another run holds it; a dry run takes none, see :func:`lock_key`). A target that
    fails is not raised here: ``published.failure`` holds the error, so the caller can
    report what was done before raising it. With ``dry_run`` nothing is written and no
    hub is pinged.
    """
    target = publish_target(config, target)
    store = make_target(config, target)
    progress = progress or Progress(enabled=False)
    # A dry run writes nothing to the target: it neither waits for nor blocks a real run.
    locked = nullcontext() if dry_run else acquire_lock(lock_file(lock_key(store)), wait=config.publish.lock_wait, what=target)
    stopped = f"{store.describe()} holds each file whole (as it was, or new); the next run completes it"
    with stop_on_sigterm(stopped), locked:
        made = prepare(
            config, overrides, now, use_cache=use_cache, probe_network=probe_network,
            progress=progress, warn=warn, on_rejection=on_rejection,
        )  # fmt: skip
        t = time.perf_counter()
        failure: FeedpubError | None = None
        try:
            result = store.publish(made.files, dry_run=dry_run, progress=lambda d, n: progress.update("publishing", d, n))
        except FeedpubError as exc:
            failure = exc
            result = getattr(exc, "result", None) or PublishResult()
        progress.clear()
        seconds = time.perf_counter() - t
    hub_problems: list[str] = []
    if failure is None and not dry_run and config.hubs:
        from feedpub.publish.websub import notify_hubs

        changed = [config.site.feeds_url() + name for name in result.uploaded if not name.startswith("index.")]
        if changed:
            hub_problems = notify_hubs(config.hubs, changed)
        for problem in hub_problems:
            warn(problem)
    published = Published(store.describe(), dry_run, result, tuple(hub_problems), failure)
    return replace(made, timings=(*made.timings, ("publish", seconds)), published=published)
