"""Publication dates of article files: what is accepted, read as aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

from dateutil import parser as dateparser

from feedpub.errors import ArticleError
from feedpub.times import EPOCH, utc

MAX_DATE_TEXT = 64
MIN_DATE = EPOCH
"""Earliest publication date accepted (feed readers and Unix timestamps start here)."""
MAX_DATE = datetime(2200, 1, 1, tzinfo=timezone.utc)
"""First publication date refused (later dates are typos or sentinels like 9999)."""


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


# 01/02/2025 is January 2nd in one country and February 1st in another: refused.
_AMBIGUOUS = re.compile(r"^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b")


def _date_string(text: str, field: str) -> datetime:
    """ISO 8601 first; else RFC 822 and other unambiguous forms python-dateutil reads."""
    try:
        return dateparser.isoparse(text)
    except (ValueError, OverflowError):
        pass
    if _AMBIGUOUS.match(text):
        raise ArticleError(f"{field}: {text!r} is ambiguous (day and month could be swapped); use ISO 8601")
    try:
        return dateparser.parse(text)
    except (ValueError, OverflowError, TypeError):
        raise ArticleError(f"{field}: cannot read {text!r} as a date") from None


def to_utc(value: object, field: str) -> datetime:
    """A YAML timestamp, date or date string as an aware UTC datetime; naive means UTC.

    Dates outside [MIN_DATE, MAX_DATE) are refused: they are mistakes, and the far ones
    break date arithmetic and RFC 822 formatting downstream.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ArticleError(f"{field}: empty")
        if len(text) > MAX_DATE_TEXT:
            raise ArticleError(f"{field}: not a date (too long)")
        dt = _date_string(text, field)
    else:
        raise ArticleError(f"{field}: expected a date, got {_kind(value)}")
    try:
        dt = utc(dt)
    except (OverflowError, ValueError):
        raise ArticleError(f"{field}: date out of range") from None
    if not MIN_DATE <= dt < MAX_DATE:
        raise ArticleError(
            f"{field}: {dt.date().isoformat()} is outside {MIN_DATE.year}-01-01 .. {MAX_DATE.year - 1}-12-31"
        )
    return dt
