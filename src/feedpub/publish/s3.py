"""An S3-compatible object store as the publish target (AWS S3, SeaweedFS, MinIO, R2, B2, and
Google Cloud Storage through its S3-compatible XML API for ``gs://`` targets).

Every boto3 and S3 quirk feedpub depends on lives in this module, each with a comment
saying why. A run makes one paginated listing of the prefix and at most one GET of the
manifest object; :mod:`feedpub.publish.manifest` decides from them, without the store,
what to upload, leave and delete (an unusable manifest is reported in one warning and
rebuilt), and :mod:`feedpub.publish.apply` carries that out: topic feeds, then indexes,
then deletes, then the manifest. A run where nothing changed makes no PUT at all.
Each object's body and headers (``publish.rules``, gzip) come from
:mod:`feedpub.publish.rules`; this module sends them as given.

Each request, its retries included, has a total bound and ends by the run's deadline
(:mod:`feedpub.deadline`). A single PutObject is atomic in S3: readers see the old
object or the new one, never a truncated one.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable
from contextlib import closing
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from feedpub.deadline import Cutter, Deadline, TimedOut
from feedpub.errors import ConfigError
from feedpub.formats import UNKNOWN_CONTENT_TYPE
from feedpub.publish import manifest as mf
from feedpub.publish.apply import NotOurs, ObjectStore, PublishIncomplete, strip_etag
from feedpub.publish.manifest import MANIFEST_NAME, Entry
from feedpub.publish.rules import ObjectHeaders
from feedpub.text import one_line

if TYPE_CHECKING:
    from feedpub.config import PublishSettings


SHA_META = "feedpub-sha256"
"""User metadata key (sent as ``x-amz-meta-feedpub-sha256``); its presence marks an object feedpub wrote."""

# AWS rules (3-63 characters, lowercase letters, digits, dots, hyphens), widened to the
# underscores and capitals that older buckets and some S3-compatible stores allow.
_BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$")
# Answers meaning the key is not there: S3's code, or (HEAD answers have no body) the bare status.
_MISSING = ("NoSuchKey", "404", "NotFound")

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


# Google Cloud Storage (gs:// targets) through its XML API, which speaks S3's protocol
# with HMAC keys (the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) and SigV4. What
# differs from S3, and how this module already copes:
# - The endpoint is storage.googleapis.com, not an AWS one: GCS_ENDPOINT unless
#   publish.endpoint_url or AWS_ENDPOINT_URL names another (the tests, a proxy).
# - SigV4 needs a region; GCS ignores it but documents "auto" for clients that must send one.
# - Path-style addressing (storage.googleapis.com/BUCKET/KEY) always works, also for bucket
#   names with dots, where virtual-host style breaks the TLS wildcard certificate.
# - The multi-object delete (POST ?delete, DeleteObjects) is not part of GCS's XML API:
#   feedpub deletes one key at a time (see delete()).
# - boto3 >= 1.36's default CRC checksums and aws-chunked uploads are refused by GCS as by
#   other S3-compatible stores: the client sends checksums only where required (see below).
# - The ETag of an object written by one PUT is its MD5, as in S3; composite objects (made
#   by other tools) carry a different ETag. feedpub compares ETags only with those the store
#   gave its own uploads, so neither matters.
# - An object stored with Content-Encoding: gzip is decompressed by GCS for a client that
#   does not send Accept-Encoding: gzip ("decompressive transcoding"), unless its
#   Cache-Control has no-transform: such clients get plain bytes, not a gzip body.
GCS_ENDPOINT = "https://storage.googleapis.com"
_GCS_REGION = "auto"
SCHEMES = {"s3": "S3", "gs": "GCS"}
"""The URL schemes of this target, and the store's name in messages."""


def parse_s3_url(url: str) -> tuple[str, str]:
    """Split ``s3://BUCKET/PREFIX/`` (or ``gs://``) into bucket and prefix ('' or ending in '/'); ConfigError if unusable."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ConfigError(f"{url}: not an S3 or GCS URL (expected s3://BUCKET/PREFIX/ or gs://BUCKET/PREFIX/)")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        raise ConfigError(f"{url}: a bucket URL has only a bucket and a prefix ({parts.scheme}://BUCKET/PREFIX/)")
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


def _public_endpoint(url: str) -> str:
    """The endpoint URL without any user:password part, safe for a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


class S3Target(ObjectStore):
    """Publishes feeds into one bucket under one prefix, uploading only what changed.

    :meth:`publish` raises :class:`PublishError` with one line naming the endpoint and
    bucket when the store cannot be used at all (credentials, missing bucket, endpoint
    unreachable or too slow). When some keys fail it first finishes what it safely
    can, then raises :class:`PublishIncomplete` whose ``result`` lists uploaded,
    unchanged, deleted and failed keys, with one line per failure in ``errors``.

    ``settings`` is the config's ``publish`` section (checked when it was made; its
    ``target`` is not read: ``url`` is the target, maybe from the command line). Each
    request gets ``request_timeout`` seconds in total and ends by ``deadline`` (the
    run's); ``warn`` gets problems that do not stop the run. The timeouts and attempts
    are no config keys: tests shorten them.
    """

    def __init__(
        self,
        url: str,
        settings: PublishSettings,
        *,
        connect_timeout: float = 5,
        read_timeout: float = 15,
        max_attempts: int = 3,
        request_timeout: float = 60,
        deadline: Deadline | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.bucket, self.prefix = parse_s3_url(url)
        self.scheme = urlsplit(url).scheme
        self.store = SCHEMES[self.scheme]
        endpoint_url, region, style = settings.endpoint_url, settings.region, settings.addressing_style
        if self.scheme == "gs":
            endpoint_url = (
                endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or GCS_ENDPOINT
            )
            region, style = region or _GCS_REGION, style or "path"
        if max_attempts < 1:
            raise ConfigError("S3 target: max_attempts must be at least 1")
        self.settings = settings
        self.workers = settings.workers
        self.request_timeout = request_timeout
        self.deadline = deadline
        self._warn = warn
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
            # These bound each read only: request_timeout bounds the whole request.
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            # One pooled connection per upload thread, or urllib3 discards connections.
            max_pool_connections=max(10, self.workers),
            # The stubs type addressing_style as a Literal; PublishSettings has checked the value.
            s3=cast("Any", {"addressing_style": style}) if style else None,
        )
        try:
            # The standard chain: environment (including AWS_ENDPOINT_URL), shared
            # config/credentials files and profiles, instance roles. Never the config file.
            aws = boto3.Session(profile_name=settings.profile)
            self._client = aws.client("s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config)
        except bce.ProfileNotFound as exc:
            raise ConfigError(f"AWS profile {settings.profile!r} not found") from exc
        except (ValueError, bce.BotoCoreError) as exc:
            raise ConfigError(f"S3 target {url}: cannot set up the client: {one_line(str(exc))}") from exc
        self.endpoint = _public_endpoint(self._client.meta.endpoint_url)
        self._secrets = self._known_secrets(aws)
        self._cutter = self._watch_connections()

    def _watch_connections(self) -> Cutter:
        """A Cutter that sees every connection of the client, so a bound can cut a request mid-read."""
        cutter = Cutter()
        # botocore has neither a total timeout nor a public hook to its connections. Its
        # URLLib3Session keeps the urllib3 pool classes in one dict of its own, shared
        # with its proxy managers, and makes pools from it on first use: swap in
        # subclasses whose connections register with the cutter. Should that attribute
        # move, bounds still hold; a cut request is then only left behind in its thread.
        session = getattr(getattr(self._client, "_endpoint", None), "http_session", None)
        pools = getattr(session, "_pool_classes_by_scheme", None)
        if isinstance(pools, dict):
            pools.update(cutter.watched(pools))
        return cutter

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
        return f"{self.scheme}://{self.bucket}/{self.prefix} at {self.endpoint}"

    def lock_key(self) -> str:
        """The endpoint the client uses (no user info, scheme and host lower-cased), the bucket
        and the normalised prefix, so ``s3://b/news`` and ``s3://b/news/`` are one lock."""
        endpoint = urlsplit(self.endpoint)
        where = endpoint._replace(scheme=endpoint.scheme.lower(), netloc=endpoint.netloc.lower(), path=endpoint.path.rstrip("/"))
        return f"s3 {urlunsplit(where)} {self.bucket} {self.prefix}"

    def fields(self) -> dict[str, str]:
        """``{"kind": "s3" or "gs", "bucket", "prefix", "endpoint"}`` (the endpoint without user info)."""
        return {"kind": self.scheme, "bucket": self.bucket, "prefix": self.prefix, "endpoint": self.endpoint}

    def location(self, name: str) -> str:
        """``s3://BUCKET/KEY`` of the file ``name``, as ``aws s3 sync --dryrun`` shows it."""
        return f"{self.scheme}://{self.bucket}/{self.prefix}{name}"

    # -- messages -------------------------------------------------------------------

    def where(self, key: str | None = None) -> str:
        where = f"{self.store} endpoint {self.endpoint}, bucket {self.bucket}"
        return f"{where}, key {key}" if key else where

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def cause(self, exc: BaseException) -> tuple[str, bool]:
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
                message = one_line(str(err.get("Message") or "")) or "no message"
                cause = f"the store answered {code or status}: {message}"
            return self._scrub(cause), code in _FATAL_CODES
        if isinstance(exc, TimedOut):
            return exc.cause(), True
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
            return self._scrub(one_line(str(exc))), True
        return self._scrub(one_line(f"{type(exc).__name__}: {exc}")), False

    # -- talking to the store -------------------------------------------------------

    def listing(self) -> dict[str, tuple[int, str]]:
        """Key -> (size, ETag) of every object under the prefix; one paginated listing."""
        listing: dict[str, tuple[int, str]] = {}
        # botocore's paginator (it refuses a store that repeats a continuation token),
        # advanced one bounded page at a time.
        pages = iter(self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix))
        while (page := self._call(lambda: next(pages, None))) is not None:
            for obj in page.get("Contents", ()):
                listing[obj["Key"]] = (int(obj.get("Size", 0)), strip_etag(obj.get("ETag")))
        return listing

    def _fetch_manifest(self) -> bytes | None:
        """The stored manifest's bytes (one more than the most feedpub reads), None when gone."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.manifest_key)
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        with closing(response["Body"]) as body:
            return bytes(body.read(mf.MAX_MANIFEST_BYTES + 1))

    def _upload(self, key: str, body: bytes, headers: ObjectHeaders) -> str:
        """One PutObject (atomic in S3) with feedpub's mark; returns the ETag the store gave it."""
        # Content-MD5 is understood by every S3-compatible store (unlike the newer CRC
        # checksums): the store refuses bytes that arrived damaged (BadDigest).
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")
        extra: dict[str, Any] = {}
        if headers.content_encoding:
            # Stored as given and served with the header; the mark and ETag are of these
            # (compressed) bytes, which is what the listing and a HEAD report.
            extra["ContentEncoding"] = headers.content_encoding
        response = self._call(
            lambda: self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                # Without an explicit type some stores serve text/plain, AWS binary/octet-stream.
                ContentType=headers.content_type or UNKNOWN_CONTENT_TYPE,
                CacheControl=headers.cache_control,
                Metadata={SHA_META: mf.sha256(body)},
                ContentMD5=md5,
                **extra,
            )
        )
        return strip_etag(response.get("ETag"))

    def delete(self, name: str, entry: Entry) -> bool:
        """Delete one stale key after checking (HEAD) it still carries feedpub's mark and ETag.

        Returns False when the key is already gone.
        """
        key = self.prefix + name
        try:
            head = self._call(lambda: self._client.head_object(Bucket=self.bucket, Key=key))
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        if head.get("Metadata", {}).get(SHA_META) != entry.sha256 or strip_etag(head.get("ETag")) != entry.etag:
            raise NotOurs(key)
        # One DeleteObject per key, not DeleteObjects: the batch call requires a checksum
        # header, which botocore now sends as a CRC some S3-compatible stores reject.
        self._call(lambda: self._client.delete_object(Bucket=self.bucket, Key=key))
        return True


__all__ = ["MANIFEST_NAME", "SHA_META", "PublishIncomplete", "S3Target", "parse_s3_url"]
