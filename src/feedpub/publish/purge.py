"""CDN purges after a publish: one HTTP request per object the publish uploaded or deleted.

A cache in front of the store (Varnish, a CDN) would go on serving the old feed until
its copy expires; a purge tells it to drop that copy now. Only the changed objects are
purged, never a wildcard, so everything else stays cached. A purge that fails is
reported, never fatal: the objects are already published, and the cache's copy expires
on its own (``publish.cache_control``). Nor may a cache hold the run up: purges run a
few at a time, each within ``timeout`` seconds in total, all within ``total`` seconds
and the run's deadline. URLs in messages lose their user:password and query, where
credentials and tokens ride.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import quote

import requests

from feedpub.deadline import Deadline, TimedOut, status_of
from feedpub.urls import public_url

if TYPE_CHECKING:
    from feedpub.config import PurgeSettings

PURGES_TOTAL = 60.0
"""Seconds all the purges of one publish may take together."""
MAX_LINES = 3
"""Failures reported one line each; beyond that, one line per cause with its count."""
# A cache that holds no copy has nothing to drop: nginx's cache_purge and several CDNs
# answer 404 then. The object is as fresh through the cache as a purged one.
_DONE = frozenset({404})


@dataclass(frozen=True, slots=True)
class Purged:
    """What the purges of one publish did: requests sent, how many the cache took, the problems in lines."""

    sent: int = 0
    purged: int = 0
    problems: tuple[str, ...] = field(default=())


def purge(
    settings: PurgeSettings,
    prefix: str,
    names: Sequence[str],
    *,
    total: float = PURGES_TOTAL,
    deadline: Deadline | None = None,
) -> Purged:
    """Send ``settings.method`` to ``settings.url`` for each of ``names`` (under ``prefix``); never raises for a cache's failure.

    ``{key}`` in the URL becomes ``prefix + name`` and ``{name}`` the name, each
    percent-encoded (``/`` kept). Every request ends within ``settings.timeout``
    seconds, all of them within ``total`` seconds and by ``deadline`` (the run's).
    """
    names = list(dict.fromkeys(names))
    if not names:
        return Purged()
    ends = Deadline.after(total, "CDN purges in total").sooner(deadline)
    send = partial(_purge_one, settings=settings, prefix=prefix, deadline=ends)
    with ThreadPoolExecutor(max_workers=min(settings.workers, len(names))) as pool:
        answers = list(pool.map(send, names))
    failures = [(url, cause) for url, cause in answers if cause is not None]
    return Purged(len(names), len(names) - len(failures), tuple(_lines(failures, settings.method, len(names))))


def target_url(template: str, prefix: str, name: str) -> str:
    """The purge URL of one object: the template with ``{key}`` and ``{name}`` filled in, percent-encoded."""
    return template.replace("{key}", quote(prefix + name, safe="/")).replace("{name}", quote(name, safe="/"))


def _purge_one(name: str, *, settings: PurgeSettings, prefix: str, deadline: Deadline) -> tuple[str, str | None]:
    """Purge one object: its URL for messages (no secret in it), and the problem, or None when the cache took it."""
    url = target_url(settings.url, prefix, name)
    shown = public_url(url)
    if deadline.expired():
        return shown, f"not sent: no time left ({deadline.describe()})"
    try:
        # No redirect is followed: a purge is meant for the cache it names, not wherever it points.
        status, reason = status_of(settings.method, url, timeout=settings.timeout, deadline=deadline, allow_redirects=False)
    except TimedOut as exc:
        return shown, exc.cause()
    except requests.Timeout:
        # requests' own read timeout can fire a moment before the total bound: one cause, one wording.
        return shown, TimedOut(settings.timeout).cause()
    except requests.ConnectionError:
        return shown, "cannot connect"
    except requests.RequestException as exc:
        return shown, type(exc).__name__
    if 200 <= status < 300 or status in _DONE:
        return shown, None
    return shown, f"answered {status} {reason}".rstrip()


def _lines(failures: list[tuple[str, str]], method: str, sent: int) -> list[str]:
    """One line per failure while they are few; else one per cause, with its count and first URL."""
    if len(failures) <= MAX_LINES:
        return [f"CDN purge {method} {url}: {cause}" for url, cause in failures]
    by_cause: dict[str, list[str]] = {}
    for url, cause in failures:
        by_cause.setdefault(cause, []).append(url)
    return [
        f"CDN purge {method}: {len(urls)} of {sent} requests failed: {cause} (first: {urls[0]})"
        for cause, urls in by_cause.items()
    ]


__all__ = ["PURGES_TOTAL", "Purged", "purge", "target_url"]
