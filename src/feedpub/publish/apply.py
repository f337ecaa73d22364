"""Carrying out a publish plan on an object store: uploads group by group, deletes, the manifest last.

The order is what keeps readers and the next run safe: an index never goes up before
every feed it lists, deletes happen only when every upload succeeded, and the manifest
is written last, so a run that dies half-way leaves keys the manifest does not vouch
for, which the next run uploads again. The store (:class:`~feedpub.publish.s3.S3Target`,
:class:`~feedpub.publish.azure.AzureTarget`) makes the requests and says what each
failure means.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol, TypeVar

from feedpub.deadline import Cutter, Deadline, bounded
from feedpub.errors import PublishError
from feedpub.publish import Progress
from feedpub.publish import manifest as mf
from feedpub.publish.manifest import MANIFEST_NAME, Entry, Plan, next_manifest
from feedpub.publish.rules import ObjectHeaders, StoredObject, prepare
from feedpub.records import OutputFile, PublishResult

if TYPE_CHECKING:
    from feedpub.config import PublishSettings


class PublishIncomplete(PublishError):
    """Some files could not be written; ``result`` says which ones and why (exit 3)."""

    def __init__(self, message: str, result: PublishResult) -> None:
        super().__init__(message)
        self.result = result


class NotOurs(Exception):
    """A stale key no longer carries feedpub's mark (or ETag), so it is left in place."""


class Store(Protocol):
    """The requests a plan needs, and how the store words its failures."""

    prefix: str
    workers: int

    def put(self, item: StoredObject) -> Entry:
        """Upload one object whole, its body and headers exactly as given
        (:mod:`~feedpub.publish.rules` decided them); return its manifest entry."""
        ...

    def delete(self, name: str, entry: Entry) -> bool:
        """Delete a stale key if still as feedpub wrote it (else raise NotOurs); False when already gone."""
        ...

    def write_manifest(self, entries: Mapping[str, Entry]) -> None:
        """Store the manifest object."""
        ...

    def cause(self, exc: BaseException) -> tuple[str, bool]:
        """A failure in words, and whether it condemns the rest of the run."""
        ...

    def where(self, key: str | None = None) -> str:
        """The endpoint and bucket (and key) for a message."""
        ...

    def listing(self) -> dict[str, tuple[int, str]]:
        """Key -> (size, ETag) of every object under the prefix: one (paginated) listing."""
        ...

    def manifest_body(self) -> bytes | None:
        """The stored manifest's bytes (at most one more than the manifest may hold), None when gone."""
        ...


T = TypeVar("T")


def strip_etag(etag: str | None) -> str:
    """An ETag bare: stores disagree on quoting (AWS and Azure quote it in headers, some
    S3-compatible stores and Azure's listings do not), so the bare values are compared."""
    return (etag or "").strip().strip('"')


class ObjectStore:
    """What the S3 and Azure targets share around :func:`sync`: bounded requests, the
    upload of an object and of the manifest, and the run itself.

    A subclass sets the attributes below and makes the store's own requests:
    :meth:`_upload`, :meth:`_fetch_manifest`, ``listing``, ``delete``, ``cause`` and ``where``.
    """

    prefix: str
    workers: int
    settings: PublishSettings
    manifest_key: str
    request_timeout: float
    deadline: Deadline | None
    _cutter: Cutter
    _warn: Callable[[str], None] | None

    def _call(self, call: Callable[[], T]) -> T:
        """One request, retries included, within ``request_timeout`` and the run's deadline."""
        return bounded(call, self.request_timeout, deadline=self.deadline, cutter=self._cutter)

    def _upload(self, key: str, body: bytes, headers: ObjectHeaders) -> str:
        """Store ``body`` at ``key`` with feedpub's mark and ``headers``; return the bare ETag."""
        raise NotImplementedError

    def _fetch_manifest(self) -> bytes | None:
        """The stored manifest's bytes (at most one more than feedpub reads), None when gone."""
        raise NotImplementedError

    def listing(self) -> dict[str, tuple[int, str]]:
        """Key -> (size, bare ETag) of every object under the prefix: one listing, each page bounded."""
        raise NotImplementedError

    def delete(self, name: str, entry: Entry) -> bool:
        """Delete a stale key if still as feedpub wrote it (else raise NotOurs); False when already gone."""
        raise NotImplementedError

    def cause(self, exc: BaseException) -> tuple[str, bool]:
        """A failure in words, and whether it condemns the rest of the run."""
        raise NotImplementedError

    def where(self, key: str | None = None) -> str:
        """The endpoint and bucket or container (and key) for a message."""
        raise NotImplementedError

    def put(self, item: StoredObject) -> Entry:
        """Upload one object (body and headers as :mod:`~feedpub.publish.rules` gave them); its manifest entry."""
        return Entry.of(item, self._upload(self.prefix + item.name, item.body, item.headers))

    def write_manifest(self, entries: Mapping[str, Entry]) -> None:
        """Store the manifest; readers must not cache it, it changes with every publish."""
        self._upload(self.manifest_key, mf.dump(entries), ObjectHeaders("application/json", "no-cache"))

    def manifest_body(self) -> bytes | None:
        """The stored manifest's bytes, within the request bound; None when gone."""
        return self._call(self._fetch_manifest)

    def publish(
        self,
        files: Sequence[OutputFile],
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> PublishResult:
        """Make the store's prefix hold ``files``; raise PublishError (see :func:`sync`) on failure.

        Each file is stored with the body and headers :mod:`~feedpub.publish.rules` gives
        it; ``force`` uploads every one, changed or not.
        """
        return sync(self, files, self.settings, dry_run=dry_run, force=force, progress=progress, warn=self._warn)


def sync(
    store: Store,
    files: Sequence[OutputFile],
    settings: PublishSettings,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> PublishResult:
    """A whole publish to an object store: each file's body and headers (``publish.rules``), the plan, then :func:`apply`.

    ``force`` uploads every file, changed or not. Any failure before the uploads (the
    listing, the manifest) is one :class:`PublishError` line naming the store.
    """
    objects = prepare(files, settings)
    refused = mf.check_names(objects, store.prefix)
    if refused:
        raise PublishError(f"{store.where()}: {refused}")
    try:
        plan, rebuild = _plan(store, objects, force=force, warn=warn)
    except Exception as exc:  # noqa: BLE001 - every store failure becomes one line
        raise PublishError(f"{store.where()}: {store.cause(exc)[0]}") from None
    deletable = plan.stale[: settings.max_deletes] if settings.delete_stale else ()
    return apply(store, plan, deletable, rebuild=rebuild, dry_run=dry_run, progress=progress)


def _plan(store: Store, objects: Sequence[StoredObject], *, force: bool, warn: Callable[[str], None] | None) -> tuple[Plan, bool]:
    """The plan of a run, and whether the stored manifest was unusable (it is then rebuilt)."""
    listing = store.listing()
    manifest_key = store.prefix + MANIFEST_NAME
    manifest: dict[str, Entry] = {}
    problem = None
    if manifest_key in listing:
        if listing[manifest_key][0] > mf.MAX_MANIFEST_BYTES:
            problem = f"larger than {mf.MAX_MANIFEST_BYTES} bytes"
        elif (body := store.manifest_body()) is not None:
            try:
                manifest = mf.parse(body)
            except mf.Unusable as exc:
                problem = str(exc)
    if problem is not None and warn is not None:
        what = "every file is uploaded again and the manifest rebuilt"
        warn(f"{store.where(manifest_key)}: the manifest is unusable ({problem}); {what}")
    return mf.plan(objects, listing, manifest, store.prefix, force=force), problem is not None


def apply(
    store: Store,
    plan: Plan,
    deletable: Sequence[str],
    *,
    rebuild: bool,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PublishResult:
    """Upload ``plan.upload``, delete ``deletable``, write the manifest (always when ``rebuild``).

    With ``dry_run``, only say what would be done. ``progress`` is told of every file as
    it is left, uploaded, failed or skipped. Raises :class:`PublishIncomplete` (its
    message one line naming the store) when anything failed.
    """
    total = len(plan.upload) + len(plan.unchanged)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    for _ in plan.unchanged:
        tick()
    if dry_run:
        for _ in plan.upload:
            tick()
        return PublishResult(
            uploaded=tuple(f.name for f in plan.upload),
            unchanged=tuple(f.name for f in plan.unchanged),
            deleted=tuple(deletable),
        )

    failed: dict[str, str] = {}
    fatal: list[str] = []
    written = _upload(store, plan, failed, fatal, tick)
    deleted: list[str] = []
    disowned: list[str] = []
    notes: list[str] = []
    if not failed:
        for name in deletable:
            try:
                if store.delete(name, plan.manifest[name]):
                    deleted.append(name)
                else:
                    disowned.append(name)
            except NotOurs:
                disowned.append(name)
                notes.append(f"{store.where(store.prefix + name)}: left in place: changed since feedpub wrote it")
            except Exception as exc:  # noqa: BLE001 - recorded, reported at the end
                cause, condemns = store.cause(exc)
                failed[name] = cause
                if condemns:
                    fatal.append(cause)
                    break

    entries = next_manifest(plan, store.prefix, written, deleted + disowned)
    if not fatal and (rebuild or entries != plan.manifest):
        try:
            store.write_manifest(entries)
        except Exception as exc:  # noqa: BLE001 - becomes the final error line
            cause, _ = store.cause(exc)
            fatal.append(cause)
            failed[MANIFEST_NAME] = cause

    errors = [f"{store.where(store.prefix + name)}: {cause}" for name, cause in failed.items()] + notes
    result = PublishResult(
        uploaded=tuple(sorted(written)),
        unchanged=tuple(sorted(f.name for f in plan.unchanged)),
        deleted=tuple(deleted),
        failed=tuple(failed),
        errors=tuple(errors),
    )
    if failed:
        if fatal:
            message = f"{store.where()}: {fatal[0]}; {len(failed)} file(s) not written"
        else:
            first = next(iter(failed))
            message = f"{store.where()}: {len(failed)} file(s) not written; first: {store.prefix + first}: {failed[first]}"
        raise PublishIncomplete(message, result)
    return result


def _upload(store: Store, plan: Plan, failed: dict[str, str], fatal: list[str], tick: Callable[[], None]) -> dict[str, Entry]:
    """Upload group by group in a thread pool; record failures in ``failed`` (and ``fatal``), return what was written."""
    written: dict[str, Entry] = {}
    stop = threading.Event()

    def upload(item: StoredObject) -> tuple[StoredObject, Entry | None, str | None]:
        if stop.is_set():
            return item, None, "not attempted after an earlier failure"
        try:
            return item, store.put(item), None
        except Exception as exc:  # noqa: BLE001 - recorded per key, reported at the end
            cause, condemns = store.cause(exc)
            if condemns:
                stop.set()
                fatal.append(cause)
            return item, None, cause

    groups = sorted({f.group for f in plan.upload})
    with ThreadPoolExecutor(max_workers=min(store.workers, max(1, len(plan.upload)))) as pool:
        for group in groups:
            batch = sorted((f for f in plan.upload if f.group == group), key=lambda f: f.name)
            if failed:
                # An index must never list a feed that did not make it to the store.
                reason = f"not written: {len(failed)} file(s) of an earlier group failed"
                for item in batch:
                    failed[item.name] = reason
                    tick()
                continue
            for item, entry, error in pool.map(upload, batch):
                if entry is not None:
                    written[item.name] = entry
                else:
                    failed[item.name] = error or "failed"
                tick()
    return written


__all__ = ["NotOurs", "PublishIncomplete", "Store", "apply"]
