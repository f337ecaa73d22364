"""Moments as whole microseconds since 1970 UTC: how selection compares and caches store times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)


def micros(when: datetime) -> int:
    """An aware datetime as whole microseconds since 1970."""
    return (when - EPOCH) // MICROSECOND


def from_micros(us: int) -> datetime:
    """The aware UTC datetime of :func:`micros`."""
    return EPOCH + timedelta(microseconds=us)
