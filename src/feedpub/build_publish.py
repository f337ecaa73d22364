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

from feedpub.build import (
    BuildResult,
    OnRejection,
    Overrides,
    Published,
    Warn,
    ignore,
    prepare,
    tell_done,
)
from feedpub.build_report import Note, no_note
from feedpub.config import Config
from feedpub.config_values import check_target, target_scheme
from feedpub.deadline import Deadline, DeadlineExceeded
from feedpub.errors import ConfigError, FeedpubError
from feedpub.progress import Progress
from feedpub.publish import Target
from feedpub.publish.folder import FolderTarget
from feedpub.publish.lock import acquire_lock, lock_file
from feedpub.records import PublishResult
from feedpub.select_extras import ARCHIVE_FOLDER
from feedpub.sigterm import stop_on_sigterm

BUCKET_SCHEMES = ("s3", "gs")
"""Targets written through :class:`~feedpub.publish.s3.S3Target` (GCS through its S3-compatible API)."""


def publish_target(config: Config, target: str | None = None) -> str:
    """Where to publish: ``target``, else the config's ``publish.target``, else the output folder.

    Raises :class:`ConfigError` for a ``word://`` target other than ``s3://``, ``gs://`` and ``az://``
    (it is no folder name), and for a bucket without a base URL: the feeds' self links
    would point at a local preview address.
    """
    if target:
        check_target(target, "--target")
    target = target or config.publish.target or str(config.output)
    scheme = target_scheme(target)
    if scheme is not None and not config.site.base_url:
        store = "Azure Blob Storage" if scheme == "az" else "a bucket"
        raise ConfigError(f"publishing to {store} needs --base-url (or site.base_url): where readers fetch the feeds")
    return target


def make_target(config: Config, target: str, *, deadline: Deadline | None = None, warn: Warn = ignore) -> Target:
    """The target a ``publish`` writes to: a bucket for ``s3://`` and ``gs://`` URLs, a container for ``az://``, else a folder.

    An S3 target ends every request by ``deadline`` and reports problems that do not
    stop it (a damaged manifest) to ``warn``.
    """
    scheme = target_scheme(check_target(target, "target"))
    if scheme in BUCKET_SCHEMES:
        from feedpub.publish.s3 import (
            S3Target,  # boto3 is imported only when publishing to S3
        )

        return S3Target(target, config.publish, deadline=deadline, warn=warn)
    if scheme == "az":
        try:
            from feedpub.publish.azure import AzureTarget  # the optional extra, imported only for az://
        except ImportError as exc:
            if exc.name and not exc.name.startswith("azure"):
                raise  # not the extra: a broken install, which must show
            missing = exc.name or "azure-storage-blob"
            raise ConfigError(
                f"{target}: Azure Blob Storage needs the azure extra: pip install 'feedpub[azure]' ({missing} is missing)"
            ) from None
        return AzureTarget(target, config.publish, deadline=deadline, warn=warn)
    return FolderTarget(Path(target), delete_stale=config.publish.delete_stale, max_deletes=config.publish.max_deletes)


def publish(
    config: Config,
    overrides: Overrides,
    now: datetime,
    *,
    target: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    use_cache: bool = True,
    probe_network: bool = True,
    progress: Progress | None = None,
    warn: Warn = ignore,
    on_rejection: OnRejection = ignore,
    note: Note = no_note,
) -> BuildResult:
    """Build at ``now`` and make ``target`` (see :func:`publish_target`) hold the files, then ping the hubs.

    The build and the upload happen under the target's lock (:class:`LockError` when
    another run holds it; a dry run takes none, see ``Target.lock_key``). A target that
    fails is not raised here: ``published.failure`` holds the error, so the caller can
    report what was done before raising it. With ``dry_run`` nothing is written and no
    hub is pinged. With ``force`` every file is uploaded again, changed or not.

    The whole run, lock wait included, ends by ``publish.deadline``: every network wait
    (image probes, the store, the hubs) stops there. A store still waited on fails the
    run (exit 3, released lock) with one line naming it; an image host still waited on
    raises :class:`~feedpub.deadline.DeadlineExceeded` from the build; a hub only
    becomes a WebSub problem.
    """
    deadline = Deadline.after(config.publish.deadline)
    target = publish_target(config, target)
    store = make_target(config, target, deadline=deadline, warn=warn)
    progress = progress or Progress(enabled=False)
    # A dry run writes nothing to the target: it neither waits for nor blocks a real run.
    wait = min(config.publish.lock_wait, max(0.0, deadline.remaining()))
    locked = nullcontext() if dry_run else acquire_lock(lock_file(store.lock_key()), wait=wait, what=target)
    stopped = f"{store.describe()} holds each file whole (as it was, or new); the next run completes it"
    with stop_on_sigterm(stopped), locked:
        made = prepare(
            config, overrides, now, use_cache=use_cache, probe_network=probe_network,
            progress=progress, warn=warn, on_rejection=on_rejection, deadline=deadline, note=note,
        )  # fmt: skip
        t = time.perf_counter()
        failure: FeedpubError | None = None
        try:
            if deadline.expired():
                raise DeadlineExceeded(f"{store.describe()}: not written: the run reached its deadline ({deadline.describe()})")
            result = store.publish(
                made.files, dry_run=dry_run, force=force, progress=lambda d, n: progress.update("uploading", d, n)
            )
        except FeedpubError as exc:
            failure = exc
            result = getattr(exc, "result", None) or PublishResult()
        progress.clear()
        seconds = time.perf_counter() - t
    where = store.describe()
    if not dry_run:  # a dry run prints what it would do itself
        verbs = {"uploaded": "uploaded", "unchanged": "unchanged", "deleted": "deleted"}
        tell_done(note, result, verbs, lambda name: f"{name} to {where}")
    purged = None
    if failure is None and not dry_run and config.publish.purge is not None:
        # Before the hub pings: a subscriber the hub tells must fetch the new feed, not the cache's copy.
        from feedpub.publish.purge import purge

        changed = [*result.uploaded, *result.deleted]
        purged = purge(config.publish.purge, store.fields().get("prefix", ""), changed, deadline=deadline)
        for problem in purged.problems:
            warn(problem)
    hub_problems: list[str] = []
    if failure is None and not dry_run and config.hubs:
        from feedpub.publish.websub import notify_hubs

        # Archive documents announce no hub (they are static): no ping for them either.
        skip = ("index.", ARCHIVE_FOLDER + "/")
        changed = [config.site.feeds_url() + name for name in result.uploaded if not name.startswith(skip)]
        if changed:
            hub_problems = notify_hubs(config.hubs, changed, deadline=deadline)
        for problem in hub_problems:
            warn(problem)
    locations = {name: store.location(name) for name in (*result.uploaded, *result.deleted)}
    published = Published(
        store.describe(), dry_run, result, tuple(hub_problems), failure, store.fields(), locations, purged=purged
    )
    return replace(made, timings=(*made.timings, ("publish", seconds)), published=published)
