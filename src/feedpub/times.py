"""Moments in time, one home: UTC, microseconds since 1970, and the text forms feedpub writes.

Selection compares and caches store whole microseconds since 1970 UTC; feeds, the
directory page and the probe cache write RFC 3339 or RFC 822 text. Every formatter here
is locale-free, so the bytes of a feed never depend on the host.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""English month abbreviations (RFC 822 and the directory page), whatever the host's locale."""
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def micros(when: datetime) -> int:
    """An aware datetime as whole microseconds since 1970."""
    return (when - EPOCH) // MICROSECOND


def from_micros(us: int) -> datetime:
    """The aware UTC datetime of :func:`micros`."""
    return EPOCH + timedelta(microseconds=us)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is taken to be UTC already (as article files mean it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utcnow() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """A UTC RFC 3339 timestamp with ``Z``, whole seconds: ``2026-12-01T06:44:38Z``."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: object) -> datetime | None:
    """The aware UTC datetime an RFC 3339 (or other ISO 8601) text gives; None if it is none.

    The reverse of :func:`rfc3339`, for feedpub's own files; article dates are read by
    :mod:`feedpub.collect.dates`, which accepts much more.
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)  # Python 3.11 reads the "Z" suffix
    except ValueError:
        return None
    return utc(moment)


def rfc822(moment: datetime) -> str:
    """An RFC 822 date in UTC, as RSS and OPML write them: ``Tue, 01 Dec 2026 06:44:38 +0000``.

    Written out rather than with ``strftime("%a %b")``, whose names follow the locale.
    """
    m = utc(moment)
    return (
        f"{_DAY_NAMES[m.weekday()]}, {m.day:02d} {MONTH_NAMES[m.month - 1]} {m.year:04d} "
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d} +0000"
    )
