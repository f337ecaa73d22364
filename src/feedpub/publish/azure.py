"""Azure Blob Storage as the publish target (``az://CONTAINER/PREFIX/``), through azure-storage-blob.

Every Azure SDK quirk feedpub depends on lives in this module, each with a comment
saying why. It keeps the S3 target's guarantees with the same pure parts: one
paginated listing of the prefix and at most one download of the manifest blob, the
plan from :mod:`feedpub.publish.manifest`, the order from :mod:`feedpub.publish.apply`
(topic feeds, then indexes, then bounded deletes, then the manifest). A run where
nothing changed makes no PUT at all.

Credentials come from the environment, as Azure's own tools read them:
``AZURE_STORAGE_CONNECTION_STRING``, else ``AZURE_STORAGE_ACCOUNT_URL`` (or
``AZURE_STORAGE_ACCOUNT``, for ``https://ACCOUNT.blob.core.windows.net``) with
``AZURE_STORAGE_KEY`` or ``AZURE_STORAGE_SAS_TOKEN``. None of them ever reaches a
message: every text from the SDK is scrubbed of them, and of any SAS signature.

Each request, its retries included, has a total bound and ends by the run's deadline
(:mod:`feedpub.deadline`). A blob of this size goes up in one Put Blob, which Azure
applies whole: readers see the old blob or the new one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from azure.core import MatchConditions
from azure.core import exceptions as az
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobServiceClient, ContentSettings
from requests.adapters import HTTPAdapter

from feedpub.deadline import Cutter, Deadline, TimedOut, watched_session
from feedpub.errors import ConfigError
from feedpub.formats import UNKNOWN_CONTENT_TYPE
from feedpub.publish import manifest as mf
from feedpub.publish.apply import NotOurs, ObjectStore, strip_etag
from feedpub.publish.manifest import MANIFEST_NAME, Entry
from feedpub.publish.rules import ObjectHeaders
from feedpub.text import one_line
from feedpub.urls import is_http, public_url

if TYPE_CHECKING:
    from feedpub.config import PublishSettings


SHA_META = "feedpub_sha256"
"""Blob metadata name (``x-ms-meta-feedpub_sha256``) marking a blob feedpub wrote. Azure metadata
names must be C# identifiers, so it is spelled with ``_`` where S3's has ``-``."""

# Azure's rules: 3-63 characters, lowercase letters, digits and single hyphens, starting
# and ending with a letter or digit.
_CONTAINER_RE = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")
# A SAS is a query string; its signature (sig=...) is the secret part, wherever it shows.
_SAS_SIG = re.compile(r"(sig=)[^&\s\"']+", re.IGNORECASE)

# The SDK logs through the "azure" logger. With no handler anywhere, Python's last-resort
# handler would print its warnings (retries, response headers) on stderr, where feedpub
# promises one line per problem: a handler that drops them keeps them out.
logging.getLogger("azure").addHandler(logging.NullHandler())

# Error codes meaning the account or container as a whole refuses us: stop the run
# instead of trying every remaining blob against the same wall.
_CAUSES = {
    "AuthenticationFailed": "the store refused the credentials: wrong account key or SAS (AuthenticationFailed)",
    # Azurite (and Azure for some callers) answers a wrong signature with this code too.
    "AuthorizationFailure": "the store refused the request: a wrong key or SAS, or one without this right (AuthorizationFailure)",
    "AuthorizationPermissionMismatch": "the SAS or role lacks a permission needed (AuthorizationPermissionMismatch)",
    "AuthorizationResourceTypeMismatch": "the SAS does not cover containers and objects (AuthorizationResourceTypeMismatch)",
    "InvalidAuthenticationInfo": "the credentials are malformed (InvalidAuthenticationInfo)",
    "ContainerNotFound": "the container does not exist (ContainerNotFound)",
    "AccountIsDisabled": "the storage account is disabled (AccountIsDisabled)",
    "ContainerBeingDeleted": "the container is being deleted (ContainerBeingDeleted)",
    "Md5Mismatch": "the store received different bytes than were sent (Md5Mismatch)",
    "ServerBusy": "the store asks to slow down, still after retries (ServerBusy)",
    "InternalError": "the store failed internally, still after retries (InternalError)",
}
_FATAL_CODES = {c for c in _CAUSES if c not in ("Md5Mismatch", "ServerBusy", "InternalError")}


def parse_az_url(url: str) -> tuple[str, str]:
    """Split ``az://CONTAINER/PREFIX/`` into container and prefix ('' or ending in '/'); ConfigError if unusable."""
    parts = urlsplit(url)
    if parts.scheme != "az":
        raise ConfigError(f"{url}: not an Azure Blob URL (expected az://CONTAINER/PREFIX/)")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        # The account comes from the environment, never from the URL (where a key could be pasted).
        raise ConfigError(f"{public_url(url)}: an az:// URL has only a container and a prefix (az://CONTAINER/PREFIX/)")
    container = parts.netloc
    if not _CONTAINER_RE.match(container):
        raise ConfigError(f"{url}: {container!r} is not a valid container name (3-63 lowercase letters, digits, hyphens)")
    prefix = parts.path.lstrip("/")
    if prefix:
        segments = prefix.rstrip("/").split("/")
        if any(s in ("", ".", "..") for s in segments):
            raise ConfigError(f"{url}: the prefix may not contain empty, '.' or '..' segments")
        prefix = "/".join(segments) + "/"
    return container, prefix


_CREDENTIALS_HELP = (
    "set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_URL (or AZURE_STORAGE_ACCOUNT) "
    "with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN"
)


def _from_environment(env: Mapping[str, str], **options: Any) -> tuple[BlobServiceClient, tuple[str, ...]]:
    """The service client the environment describes, and the secrets to scrub from messages."""
    connection = env.get("AZURE_STORAGE_CONNECTION_STRING", "").strip()
    if connection:
        fields = dict(p.split("=", 1) for p in connection.split(";") if "=" in p)
        secrets = tuple(s for s in (connection, fields.get("AccountKey"), fields.get("SharedAccessSignature")) if s)
        try:
            return BlobServiceClient.from_connection_string(connection, **options), secrets
        except (ValueError, az.AzureError) as exc:
            # The SDK's message may quote the string: say only that it is unusable.
            raise ConfigError(f"AZURE_STORAGE_CONNECTION_STRING is unusable ({type(exc).__name__})") from None
    account_url = env.get("AZURE_STORAGE_ACCOUNT_URL", "").strip()
    account = env.get("AZURE_STORAGE_ACCOUNT", "").strip()
    if not account_url and account:
        account_url = f"https://{account}.blob.core.windows.net"
    key = env.get("AZURE_STORAGE_KEY", "").strip()
    sas = env.get("AZURE_STORAGE_SAS_TOKEN", "").strip().lstrip("?")
    if not account_url or not (key or sas):
        raise ConfigError(f"Azure target: no credentials found ({_CREDENTIALS_HELP})")
    parts = urlsplit(account_url)
    if not is_http(account_url) or not parts.hostname or parts.username or parts.query:
        raise ConfigError(
            f"AZURE_STORAGE_ACCOUNT_URL: not an http(s) account URL without user or query: {public_url(account_url)}"
        )
    credential: Any
    if key:
        # A bare key string needs the account name, which the SDK reads from the host
        # (ACCOUNT.blob...) or, for an emulator, from the first path segment.
        name = account or _account_name(account_url)
        credential = {"account_name": name, "account_key": key}
    else:
        credential = sas  # the SDK appends a SAS given as a string to every request's query
    try:
        return BlobServiceClient(account_url, credential=credential, **options), tuple(s for s in (key, sas) if s)
    except (ValueError, az.AzureError) as exc:
        raise ConfigError(f"Azure target {public_url(account_url)}: cannot set up the client ({type(exc).__name__})") from None


def _account_name(account_url: str) -> str:
    """The account of ``https://ACCOUNT.blob.core.windows.net``, or of ``http://host:port/ACCOUNT`` (an emulator)."""
    parts = urlsplit(account_url)
    path = parts.path.strip("/")
    if path:
        return path.split("/", 1)[0]
    return (parts.hostname or "").split(".", 1)[0]


class AzureTarget(ObjectStore):
    """Publishes feeds into one Azure Blob container under one prefix, uploading only what changed.

    :meth:`publish` raises :class:`PublishError` with one line naming the endpoint and
    container when the store cannot be used at all (credentials, missing container,
    endpoint unreachable or too slow); when some blobs fail it finishes what it safely
    can, then raises :class:`~feedpub.publish.apply.PublishIncomplete`.

    ``settings`` is the config's ``publish`` section (``cache_control``, ``rules``,
    ``delete_stale``, ``max_deletes``, ``workers``; the S3 keys are not read). The
    timeouts and attempts are no config keys: tests shorten them.
    """

    def __init__(
        self,
        url: str,
        settings: PublishSettings,
        *,
        env: Mapping[str, str] | None = None,
        connect_timeout: float = 5,
        read_timeout: float = 15,
        max_attempts: int = 3,
        request_timeout: float = 60,
        deadline: Deadline | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.container, self.prefix = parse_az_url(url)
        if max_attempts < 1:
            raise ConfigError("Azure target: max_attempts must be at least 1")
        self.settings = settings
        self.workers = settings.workers
        self.request_timeout = request_timeout
        self.deadline = deadline
        self._warn = warn
        self.manifest_key = self.prefix + MANIFEST_NAME
        self._cutter = Cutter()
        # azure-core has no total timeout either; its requests transport takes a
        # session, so it gets one whose connections the cutter sees (and can cut).
        session = watched_session(self._cutter)
        for adapter in set(session.adapters.values()):
            # requests keeps 10 connections per host; with more upload threads urllib3
            # discards the extra ones and logs a warning each time: one per thread.
            if isinstance(adapter, HTTPAdapter):
                adapter.init_poolmanager(10, max(10, self.workers))
        transport = RequestsTransport(
            session=session, session_owner=False, connection_timeout=connect_timeout, read_timeout=read_timeout
        )
        options: dict[str, Any] = {
            "transport": transport,
            # retry_total counts the retries after the first try.
            "retry_total": max_attempts - 1,
            "retry_backoff_factor": 0.5,
            "retry_backoff_max": 4,
            # One Put Blob per object (atomic) for anything under 64 MiB, never blocks
            # committed in parts, which a reader could meet half-done.
            "max_single_put_size": 64 * 1024 * 1024,
        }
        self._service, self._secrets = _from_environment(os.environ if env is None else env, **options)
        self.endpoint = public_url(self._service.url).rstrip("/")
        self._client = self._service.get_container_client(self.container)

    def describe(self) -> str:
        """``az://CONTAINER/PREFIX/ at ENDPOINT``, for messages; no credentials in it."""
        return f"az://{self.container}/{self.prefix} at {self.endpoint}"

    def lock_key(self) -> str:
        """The account endpoint (scheme and host lower-cased), container and normalised prefix."""
        endpoint = urlsplit(self.endpoint)
        where = endpoint._replace(scheme=endpoint.scheme.lower(), netloc=endpoint.netloc.lower(), path=endpoint.path.rstrip("/"))
        return f"az {urlunsplit(where)} {self.container} {self.prefix}"

    def fields(self) -> dict[str, str]:
        """``{"kind": "az", "container", "prefix", "endpoint"}`` (the endpoint without credentials)."""
        return {"kind": "az", "container": self.container, "prefix": self.prefix, "endpoint": self.endpoint}

    def location(self, name: str) -> str:
        """``az://CONTAINER/KEY`` of the file ``name``, as a dry run shows it."""
        return f"az://{self.container}/{self.prefix}{name}"

    # -- messages -------------------------------------------------------------------

    def where(self, key: str | None = None) -> str:
        where = f"Azure endpoint {self.endpoint}, container {self.container}"
        return f"{where}, blob {key}" if key else where

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _SAS_SIG.sub(r"\1***", text)

    def cause(self, exc: BaseException) -> tuple[str, bool]:
        """The cause of an Azure SDK failure in words, and whether it condemns the whole run."""
        if isinstance(exc, TimedOut):
            return exc.cause(), True
        if isinstance(exc, az.HttpResponseError) and exc.status_code is not None:
            code = _code(exc)
            if code in _CAUSES:
                return _CAUSES[code], code in _FATAL_CODES
            if exc.status_code in (401, 403):
                return f"the store refused the request: HTTP {exc.status_code} {code}".rstrip(), True
            reason = one_line(str(exc.reason or ""), 100)
            return self._scrub(f"the store answered HTTP {exc.status_code} {code or reason}".rstrip()), False
        if isinstance(exc, az.ServiceRequestTimeoutError):
            return "cannot connect: the endpoint did not answer in time (connect timeout)", True
        if isinstance(exc, az.ServiceResponseTimeoutError):
            return "the endpoint stopped answering (read timeout)", True
        if isinstance(exc, az.ServiceRequestError):
            return "cannot connect to the endpoint (refused or unreachable)", True
        if isinstance(exc, az.ServiceResponseError | az.IncompleteReadError):
            return "the endpoint closed the connection or sent a broken answer", True
        if isinstance(exc, az.ClientAuthenticationError):
            return "the store refused the credentials", True
        if isinstance(exc, az.AzureError):
            return self._scrub(one_line(f"{type(exc).__name__}: {exc}")), True
        return self._scrub(one_line(f"{type(exc).__name__}: {exc}")), False

    # -- talking to the store -------------------------------------------------------

    def listing(self) -> dict[str, tuple[int, str]]:
        """Blob name -> (size, ETag) of every blob under the prefix; one paginated listing."""
        listing: dict[str, tuple[int, str]] = {}
        pages = iter(self._client.list_blobs(name_starts_with=self.prefix).by_page())
        while (page := self._call(lambda: _next_page(pages))) is not None:
            for blob in page:
                listing[blob.name] = (int(blob.size or 0), strip_etag(blob.etag))
        return listing

    def _fetch_manifest(self) -> bytes | None:
        """The stored manifest's bytes (at most one more than feedpub reads), None when gone."""
        try:
            stream = self._client.download_blob(self.manifest_key, offset=0, length=mf.MAX_MANIFEST_BYTES + 1)
            return stream.readall()
        except az.ResourceNotFoundError as exc:
            if _code(exc) == "ContainerNotFound":
                raise
            return None

    def _upload(self, key: str, body: bytes, headers: ObjectHeaders) -> str:
        """One Put Blob with feedpub's mark and the headers as given; returns the ETag the store gave it."""
        md5 = hashlib.md5(body).digest()
        settings = ContentSettings(
            # Without a type Azure serves the generic binary type, which readers refuse.
            content_type=headers.content_type or UNKNOWN_CONTENT_TYPE,
            cache_control=headers.cache_control,
            # Stored and served as given ("" sends none); the mark and MD5 are of these
            # (maybe gzipped) bytes, which is what the listing reports. Azure never
            # decompresses for a client, unlike GCS.
            content_encoding=headers.content_encoding or None,
            # Stored as the blob's Content-MD5, which Azure serves and checks against.
            content_md5=bytearray(md5),
        )
        blob = self._client.get_blob_client(key)
        response = self._call(
            lambda: blob.upload_blob(
                body,
                overwrite=True,
                content_settings=settings,
                metadata={SHA_META: mf.sha256(body)},
                # Sends the MD5 with the request too: the store refuses damaged bytes (Md5Mismatch).
                validate_content=True,
            )
        )
        return strip_etag(str(response.get("etag") or ""))

    def delete(self, name: str, entry: Entry) -> bool:
        """Delete one stale blob if it still carries feedpub's mark and ETag; False when already gone."""
        key = self.prefix + name
        blob = self._client.get_blob_client(key)
        try:
            props = self._call(blob.get_blob_properties)
        except az.ResourceNotFoundError as exc:
            if _code(exc) == "ContainerNotFound":
                raise
            return False
        if (props.metadata or {}).get(SHA_META) != entry.sha256 or strip_etag(props.etag) != entry.etag:
            raise NotOurs(key)
        try:
            # Unlike S3, Azure deletes conditionally: a blob rewritten since the check stays.
            self._call(lambda: blob.delete_blob(etag=f'"{entry.etag}"', match_condition=MatchConditions.IfNotModified))
        except az.ResourceModifiedError:
            raise NotOurs(key) from None
        except az.ResourceNotFoundError:
            return False
        return True


def _code(exc: az.HttpResponseError) -> str:
    """The service's error code (``AuthenticationFailed``...): the SDK gives a StorageErrorCode enum or text."""
    code = getattr(exc, "error_code", None)
    return str(getattr(code, "value", code) or "")


def _next_page(pages: Any) -> list[Any] | None:
    """The next page of a listing as a list (read whole inside the bound), None after the last."""
    page = next(pages, None)
    return None if page is None else list(page)


__all__ = ["SHA_META", "AzureTarget", "parse_az_url"]
