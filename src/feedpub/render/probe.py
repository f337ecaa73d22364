"""Enclosure image probing: the true Content-Type and size of each image, cached on disk.

RSS enclosures must carry a ``length`` and ``type``; guessing them from the extension
gives readers wrong sizes. Each image is asked once (HEAD, then a one-byte ranged GET)
and the answer kept in a JSON cache so later runs need no network at all. Each request
gets ``probe.timeout`` seconds in total (requests' own timeout bounds each read only).
Probing is never fatal: whatever goes wrong, the answer is the extension's type and
length 0 (which RSS defines as "unknown"). The one exception is a publish's deadline
(``publish.deadline``): a host still answering when it passes ends the run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from feedpub import __version__
from feedpub.config import ProbeSettings
from feedpub.deadline import Cutter, Deadline, DeadlineExceeded, TimedOut, bounded, watched_session
from feedpub.files import write_atomic
from feedpub.render.images import ProbeResult, guess_image_type
from feedpub.times import parse_rfc3339, rfc3339, utcnow
from feedpub.urls import is_http

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"feedpub/{__version__} (+https://github.com/feedpub/feedpub)"

# Larger than any image a feed would point at: such a value is a server bug or a
# hostile header, and an enclosure length readers would choke on.
MAX_LENGTH = 2 * 1024**3
# Enough for http->https and a CDN hop or two; more is a loop or a tracker chain.
MAX_REDIRECTS = 5
CACHE_VERSION = 1


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, without user info, path or query (which may carry a token)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, "", "", ""))


def _fallback(url: str) -> ProbeResult:
    return ProbeResult(guess_image_type(url), 0)


def _parse_length(value: str | None) -> int:
    """A Content-Length (or Content-Range total) as an int; 0 when absent, bad or absurd."""
    if value is None:
        return 0
    value = value.strip()
    if not value.isdigit():
        return 0
    length = int(value)
    return length if 0 < length <= MAX_LENGTH else 0


def _media_type(value: str | None) -> str | None:
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


@dataclass(frozen=True, slots=True)
class _Entry:
    result: ProbeResult
    checked_at: datetime
    error: str | None = None


class _Failed(Exception):
    """The probe got no usable answer (network error, bad status, not an image)."""


class ImageProbe:
    """Finds the type and size of enclosure images, asking each server at most once per ``max_age``.

    ``max_per_run`` bounds the network probes one instance makes (one feedpub run);
    images beyond it keep their cached (even stale) answer or the extension's guess and
    are probed on a later run. Failed probes are retried after a day (or ``max_age`` if
    shorter) rather than on every run, so a dead host does not slow every build.

    ``settings`` is the config's ``probe`` section (its ``enabled`` is the caller's
    business); ``workers``, ``user_agent`` and ``now`` are no config keys. ``deadline``
    is a publish's: probes not started by then are left for a later run, and one cut
    short by it raises :class:`DeadlineExceeded` from :meth:`probe_all`.
    """

    def __init__(
        self,
        settings: ProbeSettings,
        *,
        workers: int = 4,
        user_agent: str = DEFAULT_USER_AGENT,
        now: Callable[[], datetime] = utcnow,
        deadline: Deadline | None = None,
    ) -> None:
        self.cache_path = settings.cache
        self.max_age = max_age = timedelta(days=settings.max_age_days)
        self.retry_after = min(max_age, timedelta(days=1))
        self.timeout = settings.timeout
        self.max_per_run = settings.max_per_run
        self.workers = max(1, workers)
        self.user_agent = user_agent
        self.now = now
        self.deadline = deadline
        self.probed = 0
        self._entries: dict[str, _Entry] = self._load()

    # -- cache -----------------------------------------------------------------

    def _load(self) -> dict[str, _Entry]:
        """Read the cache; a missing, corrupt or foreign file gives an empty cache."""
        try:
            raw = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.warning("%s: image cache unreadable, rebuilding it (%s)", self.cache_path, exc)
            return {}
        images = raw.get("images") if isinstance(raw, dict) else None
        if not isinstance(images, dict) or raw.get("version") != CACHE_VERSION:
            log.warning("%s: not a feedpub image cache, rebuilding it", self.cache_path)
            return {}
        entries: dict[str, _Entry] = {}
        for url, item in images.items():
            if not isinstance(item, dict):
                continue
            kind, length = item.get("type"), item.get("length")
            checked = parse_rfc3339(item.get("checked_at"))
            error = item.get("error")
            if (
                not isinstance(kind, str)
                or not isinstance(length, int)
                or isinstance(length, bool)
                or not 0 <= length <= MAX_LENGTH
                or checked is None
            ):
                continue
            entries[url] = _Entry(ProbeResult(kind, length), checked, error if isinstance(error, str) else None)
        return entries

    def save(self) -> None:
        """Write the cache atomically, so a killed run leaves the old cache intact."""
        images: dict[str, dict[str, object]] = {}
        for url in sorted(self._entries):
            entry = self._entries[url]
            item: dict[str, object] = {
                "type": entry.result.type,
                "length": entry.result.length,
                "checked_at": rfc3339(entry.checked_at),
            }
            if entry.error:
                item["error"] = entry.error
            images[url] = item
        data = json.dumps({"version": CACHE_VERSION, "images": images}, indent=1, ensure_ascii=False)
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.cache_path, (data + "\n").encode("utf-8"))

    def lookup(self, url: str) -> ProbeResult | None:
        """The cached answer for ``url`` whatever its age, or None if it was never probed."""
        entry = self._entries.get(url)
        return entry.result if entry else None

    def _fresh(self, entry: _Entry, now: datetime) -> bool:
        age = self.retry_after if entry.error else self.max_age
        return now - entry.checked_at < age

    # -- probing ---------------------------------------------------------------

    def probe_all(self, urls: Iterable[str]) -> dict[str, ProbeResult]:
        """Answer every URL: from the cache when fresh, else by probing (within the run's limit).

        Non-http(s) URLs and failures get the extension's type and length 0. Never raises
        for network trouble, except :class:`DeadlineExceeded` naming the host a probe was
        still waiting on at the run's deadline (recorded as a failure, so the next run
        does not wait on it again). Call :meth:`save` afterwards, in both cases.
        """
        now = self.now()
        results: dict[str, ProbeResult] = {}
        todo: list[str] = []
        for url in dict.fromkeys(urls):
            entry = self._entries.get(url)
            if not is_http(url):
                results[url] = _fallback(url)
            elif entry is not None and self._fresh(entry, now):
                results[url] = entry.result
            elif self.probed < self.max_per_run:
                self.probed += 1
                todo.append(url)
            else:
                results[url] = entry.result if entry else _fallback(url)
        if not todo:
            return results
        with ThreadPoolExecutor(max_workers=min(self.workers, len(todo))) as pool:
            futures = [pool.submit(self._probe_safely, url) for url in todo]
        late: DeadlineExceeded | None = None
        for url, future in zip(todo, futures, strict=True):
            previous = self._entries.get(url)
            try:
                outcome = future.result()
            except TimedOut as exc:  # cut short by the run's deadline
                outcome = (_fallback(url), exc.cause())
                late = late or DeadlineExceeded(f"image host {_origin(url)}: {exc.cause()}")
            if outcome is None:  # the deadline had passed before it started: nothing learnt
                results[url] = previous.result if previous else _fallback(url)
                continue
            result, error = outcome
            if error and previous and not previous.error:
                # Keep a good old answer through a passing outage.
                result = previous.result
            self._entries[url] = _Entry(result, now, error)
            results[url] = result
        if late is not None:
            raise late
        return results

    def _request(
        self, session: requests.Session, cutter: Cutter, method: str, url: str, headers: dict[str, str]
    ) -> requests.Response:
        """One streamed request (headers only, each within the timeout), following at most MAX_REDIRECTS redirects."""
        headers = {"User-Agent": self.user_agent, **headers}
        for _ in range(MAX_REDIRECTS + 1):
            send = partial(
                session.request,
                method,
                url,
                headers=headers,
                timeout=(self.timeout, self.timeout),
                allow_redirects=False,
                stream=True,
            )
            resp = bounded(send, self.timeout, deadline=self.deadline, cutter=cutter)
            if not resp.is_redirect:
                return resp
            resp.close()
            url = urljoin(resp.url, resp.headers["Location"])
            if not is_http(url):
                raise _Failed(f"redirected to a non-http(s) URL: {url}")
        raise _Failed(f"more than {MAX_REDIRECTS} redirects")

    def _probe_safely(self, url: str) -> tuple[ProbeResult, str | None] | None:
        """The answer and the error (None if none); None when the run's deadline passed before it started."""
        if self.deadline is not None and self.deadline.expired():
            return None
        cutter = Cutter()
        try:
            with watched_session(cutter) as session:
                return self._probe(session, cutter, url), None
        except _Failed as exc:
            log.info("image probe %s: %s", url, exc)
            return _fallback(url), str(exc)
        except TimedOut as exc:
            if exc.deadline is not None:
                raise  # the run's deadline: probe_all ends the run
            log.info("image probe %s: %s", url, exc)
            return _fallback(url), exc.cause()
        except Exception as exc:  # noqa: BLE001 - never fatal: a probe only improves an enclosure
            log.info("image probe %s: %s", url, exc)
            return _fallback(url), f"{type(exc).__name__}: {exc}"

    def _probe(self, session: requests.Session, cutter: Cutter, url: str) -> ProbeResult:
        """HEAD the URL, then a ranged GET when HEAD is refused or gives no length."""
        head_type: str | None = None
        with self._request(session, cutter, "HEAD", url, {}) as resp:
            if resp.status_code in (404, 410):
                raise _Failed(f"HTTP {resp.status_code}")
            if resp.ok:
                head_type = _media_type(resp.headers.get("Content-Type"))
                if head_type is not None and not head_type.startswith("image/"):
                    raise _Failed(f"not an image: {head_type}")
                length = _parse_length(resp.headers.get("Content-Length"))
                if head_type and length:
                    return ProbeResult(head_type, length)
        # HEAD refused (405, 403 from some stores) or said nothing of the size.
        headers = {"Range": "bytes=0-0", "Accept-Encoding": "identity"}
        with self._request(session, cutter, "GET", url, headers) as resp:
            if not resp.ok:
                raise _Failed(f"HTTP {resp.status_code}")
            kind = _media_type(resp.headers.get("Content-Type")) or head_type
            if kind is None or not kind.startswith("image/"):
                raise _Failed(f"not an image: {kind}")
            if resp.status_code == 206:
                # Content-Range: bytes 0-0/12345 ("*" when the server does not know).
                total = resp.headers.get("Content-Range", "").rpartition("/")[2]
                length = _parse_length(total)
            else:  # the server ignored Range and is sending the whole file: don't read it
                length = _parse_length(resp.headers.get("Content-Length"))
            return ProbeResult(kind, length)
