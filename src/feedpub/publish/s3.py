"""An S3-compatible object store as the publish target (AWS S3, SeaweedFS, MinIO, R2, B2...).

Every boto3 and S3 quirk feedpub depends on lives in this module, each with a comment
saying why. How a run works:

1. One paginated ListObjectsV2 under the prefix, and at most one GET of the manifest
   object ``<prefix>.feedpub-manifest.json``, which records key -> sha256, size, ETag,
   Content-Type and Cache-Control as written by the last run.
2. A file is unchanged when the listing shows its key with the manifest's size and ETag
   and the manifest's sha256 (and headers) equal the new ones. Anything else (new bytes,
   an object overwritten or deleted behind feedpub's back) is uploaded again. A run where
   nothing changed makes no PUT at all, so ETag and Last-Modified stay put.
3. Uploads run per group (0: topic feeds, then 1: indexes) in a bounded thread pool; a
   group starts only when every upload of the groups before it succeeded.
4. Deletes of stale keys (opt-in, bounded), then the manifest, last.

A single PutObject is atomic in S3: readers see the old object or the new one, never a
truncated one. As the manifest is written after the uploads, a run that dies half-way
leaves keys that do not match the manifest, and the next run uploads them again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from feedpub.errors import ConfigError, PublishError
from feedpub.formats import UNKNOWN_CONTENT_TYPE
from feedpub.publish import Progress
from feedpub.records import OutputFile, PublishResult

if TYPE_CHECKING:
    from feedpub.config import PublishSettings

MANIFEST_NAME = ".feedpub-manifest.json"
MANIFEST_FORMAT = 1
SHA_META = "feedpub-sha256"
"""User metadata key (sent as ``x-amz-meta-feedpub-sha256``); its presence marks an object feedpub wrote."""

# AWS rules (3-63 characters, lowercase letters, digits, dots, hyphens), widened to the
# underscores and capitals that older buckets and some S3-compatible stores allow.
_BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$")
# S3 limits a key to 1024 bytes of UTF-8.
_MAX_KEY_BYTES = 1024

# Error codes that mean the store as a whole refuses us: stop the run instead of trying
# every remaining key against the same wall.
_FATAL_CODES = {
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "NoSuchBucket",
    "AllAccessDisabled",
    "AccountProblem",
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
}

_CAUSES = {
    "SignatureDoesNotMatch": "the store rejected the signature: wrong secret access key (SignatureDoesNotMatch)",
    "InvalidAccessKeyId": "the store does not know this access key ID (InvalidAccessKeyId)",
    "InvalidToken": "the temporary credentials token is invalid (InvalidToken)",
    "ExpiredToken": "the temporary credentials have expired (ExpiredToken)",
    "AccessDenied": "access denied: the credentials may not do this (AccessDenied)",
    "NoSuchBucket": "the bucket does not exist (NoSuchBucket)",
    "AllAccessDisabled": "all access to the bucket is disabled (AllAccessDisabled)",
    "NoSuchKey": "the key does not exist (NoSuchKey)",
    "KeyTooLongError": "the key is too long for the store (KeyTooLongError)",
    "BadDigest": "the store received different bytes than were sent (BadDigest)",
    "SlowDown": "the store asks to slow down, still after retries (SlowDown)",
    "InternalError": "the store failed internally, still after retries (InternalError)",
    "PermanentRedirect": "the bucket is in another region or needs another endpoint (PermanentRedirect)",
    "AuthorizationHeaderMalformed": "the region does not match the bucket's (AuthorizationHeaderMalformed)",
}


@dataclass(frozen=True, slots=True)
class _Entry:
    """One manifest line: what feedpub wrote under a name, and the ETag the store gave it."""

    sha256: str
    size: int
    etag: str
    content_type: str
    cache_control: str


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a run will do, computed from the listing and the manifest."""

    upload: tuple[OutputFile, ...]
    unchanged: tuple[OutputFile, ...]
    stale: tuple[str, ...]
    listing: dict[str, tuple[int, str]]
    manifest: dict[str, _Entry]


class PublishIncomplete(PublishError):
    """Some files could not be written; ``result`` says which ones and why (exit 3)."""

    def __init__(self, message: str, result: PublishResult) -> None:
        super().__init__(message)
        self.result = result


def parse_s3_url(url: str) -> tuple[str, str]:
    """Split ``s3://BUCKET/PREFIX/`` into bucket and prefix ('' or ending in '/'); ConfigError if unusable."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ConfigError(f"{url}: not an S3 URL (expected s3://BUCKET/PREFIX/)")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        raise ConfigError(f"{url}: an S3 URL has only a bucket and a prefix (s3://BUCKET/PREFIX/)")
    bucket = parts.netloc
    if not _BUCKET_RE.match(bucket) or ".." in bucket:
        raise ConfigError(f"{url}: {bucket!r} is not a valid bucket name")
    prefix = parts.path.lstrip("/")
    if prefix:
        segments = prefix.rstrip("/").split("/")
        if any(s in ("", ".", "..") for s in segments):
            raise ConfigError(f"{url}: the prefix may not contain empty, '.' or '..' segments")
        prefix = "/".join(segments) + "/"
    return bucket, prefix


def _strip_etag(etag: str | None) -> str:
    # Stores disagree on quoting: AWS sends '"abc"' everywhere, some S3-compatible stores
    # send it bare in listings. Compare the bare value.
    return (etag or "").strip().strip('"')


def _public_endpoint(url: str) -> str:
    """The endpoint URL without any user:password part, safe for a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


class S3Target:
    """Publishes feeds into one bucket under one prefix, uploading only what changed.

    :meth:`publish` raises :class:`PublishError` with one line naming the endpoint and
    bucket when the store cannot be used at all (credentials, missing bucket, endpoint
    unreachable or timing out). When some keys fail it first finishes what it safely
    can, then raises :class:`PublishIncomplete` whose ``result`` lists uploaded,
    unchanged, deleted and failed keys, with one line per failure in ``errors``.

    ``settings`` is the config's ``publish`` section (checked when it was made; its
    ``target`` is not read: ``url`` is the target, maybe from the command line). The
    timeouts and attempts are no config keys: tests shorten them.
    """

    def __init__(
        self,
        url: str,
        settings: PublishSettings,
        *,
        connect_timeout: float = 5,
        read_timeout: float = 15,
        max_attempts: int = 3,
    ) -> None:
        self.url = url
        self.bucket, self.prefix = parse_s3_url(url)
        if max_attempts < 1:
            raise ConfigError("S3 target: max_attempts must be at least 1")
        self.cache_control = settings.cache_control
        self.delete_stale = settings.delete_stale
        self.max_deletes = settings.max_deletes
        self.workers = settings.workers
        self.manifest_key = self.prefix + MANIFEST_NAME
        config = Config(
            # boto3 >= 1.36 adds CRC checksum headers and trailers by default; several
            # S3-compatible stores reject them. Only send/check them where S3 requires it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            # Bounded timeouts and "standard" retries (backoff, transient errors only), so
            # a refused endpoint fails in seconds and a silent one in attempts x timeout
            # (45 s with the defaults). botocore's "max_attempts" key counts retries
            # after the first try; "total_max_attempts" counts every try, as we mean it.
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            # One pooled connection per upload thread, or urllib3 discards connections.
            max_pool_connections=max(10, self.workers),
            s3={"addressing_style": settings.addressing_style} if settings.addressing_style else None,
        )
        try:
            # The standard chain: environment (including AWS_ENDPOINT_URL), shared
            # config/credentials files and profiles, instance roles. Never the config file.
            aws = boto3.Session(profile_name=settings.profile)
            self._client = aws.client(
                "s3", endpoint_url=settings.endpoint_url or None, region_name=settings.region or None, config=config
            )
        except bce.ProfileNotFound as exc:
            raise ConfigError(f"AWS profile {settings.profile!r} not found") from exc
        except (ValueError, bce.BotoCoreError) as exc:
            raise ConfigError(f"S3 target {url}: cannot set up the client: {_one_line(str(exc))}") from exc
        self.endpoint = _public_endpoint(self._client.meta.endpoint_url)
        self._secrets = self._known_secrets(aws)

    @staticmethod
    def _known_secrets(aws: boto3.Session) -> tuple[str, ...]:
        """The secret key and token, kept only to scrub them from any store message."""
        try:
            creds = aws.get_credentials()
            frozen = creds.get_frozen_credentials() if creds else None
        except bce.BotoCoreError:
            return ()
        if frozen is None:
            return ()
        return tuple(s for s in (frozen.secret_key, frozen.token) if s)

    def describe(self) -> str:
        """``s3://BUCKET/PREFIX/ at ENDPOINT``, for messages; no credentials in it."""
        return f"s3://{self.bucket}/{self.prefix} at {self.endpoint}"

    # -- messages -------------------------------------------------------------------

    def _where(self, key: str | None = None) -> str:
        where = f"S3 endpoint {self.endpoint}, bucket {self.bucket}"
        return f"{where}, key {key}" if key else where

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _cause(self, exc: BaseException) -> tuple[str, bool]:
        """The cause of a boto3 failure in words, and whether it condemns the whole run."""
        if isinstance(exc, bce.ClientError):
            err = exc.response.get("Error", {})
            code = str(err.get("Code") or "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _CAUSES:
                cause = _CAUSES[code]
            elif code.isdigit() or not code:
                # botocore uses the HTTP status as the code when the body is no S3 error
                # document: a HEAD (no body), or something that is not an S3 endpoint.
                cause = f"the endpoint answered HTTP {code or status} without an S3 error (is it an S3 endpoint?)"
            else:
                message = _one_line(str(err.get("Message") or "")) or "no message"
                cause = f"the store answered {code or status}: {message}"
            return self._scrub(cause), code in _FATAL_CODES
        if isinstance(exc, bce.ConnectTimeoutError):
            return "cannot connect: the endpoint did not answer in time (connect timeout)", True
        if isinstance(exc, bce.ReadTimeoutError):
            return "the endpoint stopped answering (read timeout)", True
        if isinstance(exc, bce.EndpointConnectionError):
            return "cannot connect to the endpoint (refused or unreachable)", True
        if isinstance(exc, bce.ConnectionClosedError):
            return "the endpoint closed the connection", True
        if isinstance(exc, bce.SSLError):
            return "TLS failed with the endpoint (certificate or protocol)", True
        if isinstance(exc, bce.ConnectionError):
            return "connection to the endpoint failed", True
        if isinstance(exc, bce.NoCredentialsError):
            return "no credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)", True
        if isinstance(exc, bce.PartialCredentialsError):
            return "incomplete credentials (an access key without its secret, or the reverse)", True
        if isinstance(exc, bce.BotoCoreError):
            return self._scrub(_one_line(str(exc))), True
        return self._scrub(_one_line(f"{type(exc).__name__}: {exc}")), False

    def _error(self, exc: BaseException, key: str | None = None) -> PublishError:
        cause, _ = self._cause(exc)
        return PublishError(f"{self._where(key)}: {cause}")

    # -- reading the store ----------------------------------------------------------

    def _list(self) -> dict[str, tuple[int, str]]:
        """Key -> (size, ETag) of every object under the prefix; one paginated listing."""
        listing: dict[str, tuple[int, str]] = {}
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for obj in page.get("Contents", ()):
                listing[obj["Key"]] = (int(obj.get("Size", 0)), _strip_etag(obj.get("ETag")))
        return listing

    def _read_manifest(self, listing: dict[str, tuple[int, str]]) -> dict[str, _Entry]:
        """The last run's manifest; empty when absent or unreadable (everything is then re-uploaded)."""
        if self.manifest_key not in listing:
            return {}
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=self.manifest_key)["Body"].read()
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return {}
            raise
        try:
            data = json.loads(body)
            objects = data["objects"] if data.get("format") == MANIFEST_FORMAT else {}
            return {
                name: _Entry(
                    sha256=str(e["sha256"]),
                    size=int(e["size"]),
                    etag=str(e["etag"]),
                    content_type=str(e.get("content_type", "")),
                    cache_control=str(e.get("cache_control", "")),
                )
                for name, e in objects.items()
            }
        except (ValueError, TypeError, KeyError, AttributeError):
            return {}

    def _plan(self, files: Sequence[OutputFile]) -> _Plan:
        listing = self._list()
        manifest = self._read_manifest(listing)
        upload: list[OutputFile] = []
        unchanged: list[OutputFile] = []
        for item in files:
            entry = manifest.get(item.name)
            seen = listing.get(self.prefix + item.name)
            same = (
                entry is not None
                and seen is not None
                and seen == (entry.size, entry.etag)
                and entry.size == len(item.data)
                and entry.sha256 == _sha256(item.data)
                and entry.content_type == item.content_type
                and entry.cache_control == self.cache_control
            )
            (unchanged if same else upload).append(item)
        names = {f.name for f in files}
        # Stale: written by feedpub (in the manifest) and still exactly as written
        # (listing ETag matches), but no longer part of the build.
        stale = tuple(
            sorted(
                name
                for name, entry in manifest.items()
                if name not in names and listing.get(self.prefix + name) == (entry.size, entry.etag)
            )
        )
        return _Plan(tuple(upload), tuple(unchanged), stale, listing, manifest)

    # -- writing --------------------------------------------------------------------

    def _put(self, item: OutputFile) -> _Entry:
        """Upload one file in one PutObject (atomic in S3) and return its manifest entry."""
        sha = _sha256(item.data)
        # Without an explicit type some stores serve text/plain, AWS binary/octet-stream.
        content_type = item.content_type or UNKNOWN_CONTENT_TYPE
        response = self._client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + item.name,
            Body=item.data,
            ContentType=content_type,
            CacheControl=self.cache_control,
            Metadata={SHA_META: sha},
            # Content-MD5 is understood by every S3-compatible store (unlike the newer CRC
            # checksums): the store refuses bytes that arrived damaged (BadDigest).
            ContentMD5=base64.b64encode(hashlib.md5(item.data).digest()).decode("ascii"),
        )
        return _Entry(sha, len(item.data), _strip_etag(response.get("ETag")), item.content_type, self.cache_control)

    def _delete(self, name: str, entry: _Entry) -> bool:
        """Delete one stale key after checking (HEAD) it still carries feedpub's mark and ETag.

        Returns False when the key is already gone.
        """
        key = self.prefix + name
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        except bce.ClientError as exc:
            # HEAD answers have no body, so a missing key shows up as the bare code "404".
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        if head.get("Metadata", {}).get(SHA_META) != entry.sha256 or _strip_etag(head.get("ETag")) != entry.etag:
            raise _NotOurs(key)
        # One DeleteObject per key, not DeleteObjects: the batch call requires a checksum
        # header, which botocore now sends as a CRC some S3-compatible stores reject.
        self._client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def _write_manifest(self, manifest: dict[str, _Entry]) -> None:
        body = json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "generator": "feedpub",
                "objects": {
                    name: {
                        "sha256": e.sha256,
                        "size": e.size,
                        "etag": e.etag,
                        "content_type": e.content_type,
                        "cache_control": e.cache_control,
                    }
                    for name, e in sorted(manifest.items())
                },
            },
            indent=1,
            sort_keys=True,
        ).encode()
        self._client.put_object(
            Bucket=self.bucket,
            Key=self.manifest_key,
            Body=body,
            ContentType="application/json",
            CacheControl="no-cache",
            Metadata={SHA_META: _sha256(body)},
            ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode("ascii"),
        )

    # -- the run --------------------------------------------------------------------

    def _check_names(self, files: Sequence[OutputFile]) -> None:
        seen: set[str] = set()
        for item in files:
            name = item.name
            segments = name.split("/")
            if (
                not name
                or name.startswith("/")
                or any(s in ("", ".", "..") for s in segments)
                or any(ord(c) < 32 or ord(c) == 127 for c in name)
            ):
                raise PublishError(f"{self._where()}: refusing to write {name!r}: not a plain relative name")
            if name == MANIFEST_NAME:
                raise PublishError(f"{self._where()}: {name!r} is the name of feedpub's own manifest")
            if len((self.prefix + name).encode()) > _MAX_KEY_BYTES:
                raise PublishError(f"{self._where(self.prefix + name)}: key longer than S3's 1024 bytes")
            if name in seen:
                raise PublishError(f"{self._where()}: {name!r} given twice")
            seen.add(name)

    def publish(
        self,
        files: Sequence[OutputFile],
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> PublishResult:
        """Make the bucket/prefix hold ``files``; raise PublishError (see the class docstring) on failure."""
        self._check_names(files)
        try:
            plan = self._plan(files)
        except Exception as exc:  # noqa: BLE001 - every store failure becomes one line
            raise self._error(exc) from None

        total = len(files)
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total)

        for _ in plan.unchanged:
            tick()
        deletable = plan.stale[: self.max_deletes] if self.delete_stale else ()
        if dry_run:
            for _ in plan.upload:
                tick()
            return PublishResult(
                uploaded=tuple(f.name for f in plan.upload),
                unchanged=tuple(f.name for f in plan.unchanged),
                deleted=tuple(deletable),
            )

        written: dict[str, _Entry] = {}
        failed: dict[str, str] = {}
        fatal: list[str] = []
        stop = threading.Event()

        def upload(item: OutputFile) -> tuple[OutputFile, _Entry | None, str | None]:
            if stop.is_set():
                return item, None, "not attempted after an earlier failure"
            try:
                return item, self._put(item), None
            except Exception as exc:  # noqa: BLE001 - recorded per key, reported at the end
                cause, condemns = self._cause(exc)
                if condemns:
                    stop.set()
                    fatal.append(cause)
                return item, None, cause

        groups = sorted({f.group for f in plan.upload})
        with ThreadPoolExecutor(max_workers=min(self.workers, max(1, len(plan.upload)))) as pool:
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

        deleted: list[str] = []
        disowned: list[str] = []
        errors: list[str] = []
        if not failed:
            for name in deletable:
                try:
                    if self._delete(name, plan.manifest[name]):
                        deleted.append(name)
                    else:
                        disowned.append(name)
                except _NotOurs:
                    disowned.append(name)
                    errors.append(f"{self._where(self.prefix + name)}: left in place: changed since feedpub wrote it")
                except Exception as exc:  # noqa: BLE001 - recorded, reported at the end
                    cause, condemns = self._cause(exc)
                    failed[name] = cause
                    if condemns:
                        fatal.append(cause)
                        break

        new_manifest = self._next_manifest(plan, written, deleted + disowned)
        if not fatal and new_manifest != plan.manifest:
            try:
                self._write_manifest(new_manifest)
            except Exception as exc:  # noqa: BLE001 - becomes the final error line
                cause, _ = self._cause(exc)
                fatal.append(cause)
                failed[MANIFEST_NAME] = cause

        errors = [f"{self._where(self.prefix + name)}: {cause}" for name, cause in failed.items()] + errors
        result = PublishResult(
            uploaded=tuple(sorted(written)),
            unchanged=tuple(sorted(f.name for f in plan.unchanged)),
            deleted=tuple(deleted),
            failed=tuple(failed),
            errors=tuple(errors),
        )
        if failed:
            if fatal:
                message = f"{self._where()}: {fatal[0]}; {len(failed)} file(s) not written"
            else:
                first = next(iter(failed))
                message = f"{self._where()}: {len(failed)} file(s) not written; first: {self.prefix + first}: {failed[first]}"
            raise PublishIncomplete(message, result)
        return result

    def _next_manifest(self, plan: _Plan, written: dict[str, _Entry], forget: list[str]) -> dict[str, _Entry]:
        """The manifest after this run: what was written or left unchanged, plus stale keys still ours."""
        manifest: dict[str, _Entry] = {}
        for name, entry in plan.manifest.items():
            # Keep an old entry only while the object is still exactly as feedpub wrote it:
            # a failed upload's old object, or a stale key not deleted (yet).
            if name not in forget and plan.listing.get(self.prefix + name) == (entry.size, entry.etag):
                manifest[name] = entry
        for item in plan.unchanged:
            manifest[item.name] = plan.manifest[item.name]
        manifest.update(written)
        return manifest


class _NotOurs(Exception):
    """Internal: a stale key no longer carries feedpub's mark, so it is not deleted."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


__all__ = ["MANIFEST_NAME", "SHA_META", "PublishIncomplete", "S3Target", "parse_s3_url"]
