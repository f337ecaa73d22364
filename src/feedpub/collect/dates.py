"""Publication dates of article files: what is accepted, read as aware UTC datetimes.

Every part of an accepted date comes from the text, so that the same files give the
same feeds on any day and on any machine:

- the year (all four digits), the month and the day must be written; nothing is
  filled in from today's date (python-dateutil would read ``10:30`` as today,
  ``June 10`` as this year, ``Monday`` as next Monday and ``10 Jun 20`` by a century
  guessed from the clock);
- a missing time of day means midnight (as a YAML date without a time does): that
  is a fixed value, not the clock;
- the zone must be a UTC offset or UTC, GMT, UT or Z; no offset means UTC. Zone names
  (``PST``, ``IST``, ``CST``) are refused: dateutil would drop the ones it does not
  know, with a warning on stderr, or read them as the machine's own zone. A name in
  parentheses after an offset (``-0700 (PDT)``, RFC 5322's comment) is only a comment.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from dateutil import parser as dateparser

from feedpub.errors import ArticleError
from feedpub.times import EPOCH, utc

MAX_DATE_TEXT = 64
MIN_DATE = EPOCH
"""Earliest publication date accepted (feed readers and Unix timestamps start here)."""
MAX_DATE = datetime(2200, 1, 1, tzinfo=UTC)
"""First publication date refused (later dates are typos or sentinels like 9999)."""

UTC_NAMES = frozenset({"UTC", "GMT", "UT", "Z"})
"""The only zone names accepted (any case): every other name is ambiguous or local."""


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


# 01/02/2025 is January 2nd in one country and February 1st in another: refused, and so
# is "01 02 2025", which dateutil would read month first just the same.
_AMBIGUOUS = re.compile(r"^\s*\d{1,2}(?:[/.\-]|\s+)\d{1,2}(?:[/.\-]|\s+)\d{2,4}\b")
# isoparse also takes reduced dates (2020, 2020-06, 2020-W24) and completes them with
# the first month, day or weekday. A whole date is YYYY-MM-DD (checked first, by its
# two dashes: the common case), YYYYMMDD, a week date with its weekday or an ordinal
# date. The date must end where the pattern does: isoparse takes any character, a digit
# too, as the date-time separator, so a reduced date followed by digits must not pass
# for a longer form.
_ISO_WHOLE_DATE = re.compile(r"\d{4}(?:\d{4}|-?W\d\d-?\d|-?\d{3})(?!\d)")
# "GMT+3" means UTC+03:00 to most people and UTC-03:00 to POSIX and to dateutil.
_SIGNED_UTC_NAME = re.compile(r"(?i)\b(?:UTC|GMT|UT|Z)\s*[+-]\s*\d")
# "Wed, 10 Jun 2020 12:00:00 -0700 (PDT)": the offset says it all; the name is a comment.
_OFFSET_COMMENT = re.compile(r"([+-]\d\d:?\d\d)\s*\([A-Za-z]{1,6}\)$")
# Only its time of day is ever used (midnight): a date without its year, month or day
# is refused before the default could fill them. Passing it also keeps dateutil from
# building its own default from datetime.now().
_NO_CLOCK_DEFAULT = datetime(2000, 1, 1)
# English names for messages (strftime's %A would follow the locale).
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class _Refused(Exception):
    """A date dateutil could read, but only by guessing a part; ``with_text`` says
    whether the reason reads as a sentence about the text (prefixed with it)."""

    def __init__(self, reason: str, *, with_text: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.with_text = with_text


class _TextOnlyInfo(dateparser.parserinfo):
    """dateutil's word tables, minus its guess of a two-digit year's century.

    dateutil puts a two-digit year within 50 years of the current year, read from the
    clock: ``10 Jun 70`` is 1970 until 2020 and 2070 after. Refused instead.
    """

    def convertyear(self, year: int, century_specified: bool = False) -> int:
        """The year as written; a two-digit one is refused (its century is not in the text)."""
        if year < 100 and not century_specified:
            raise _Refused("has a two-digit year; write all four digits")
        return year


class _TextOnlyParser(dateparser.parser):
    """dateutil's parser refusing a date whose year, month or day is not in the text.

    ``_build_naive`` is one of the steps dateutil keeps as methods "for the sake of
    customizability via subclassing"; it is where the missing parts would be taken
    from the default (and a lone weekday moved to the next such day), so it is where
    they are refused.
    """

    def _build_naive(self, res: Any, default: datetime) -> datetime:
        missing = [part for part in ("year", "month", "day") if getattr(res, part) is None]
        if missing:
            parts = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
            raise _Refused(f"has no {parts}; write the whole date, such as 2021-06-10")
        naive = super()._build_naive(res, default)  # type: ignore[misc]  # private step, not in dateutil's stubs
        # dateutil ignores a weekday that the date contradicts; one of the two is a typo.
        if res.weekday is not None and res.weekday != naive.weekday():
            raise _Refused(f"names the wrong weekday: {naive.date().isoformat()} is a {_WEEKDAYS[naive.weekday()]}")
        return naive


_PARSER = _TextOnlyParser(_TextOnlyInfo())


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """The zone dateutil found, given as ``tzinfos``: called for every parse, so the
    local-zone and unknown-name fallbacks (and their warning) are never reached."""
    if name is not None and name.upper() not in UTC_NAMES:
        raise _Refused(
            f"time zone name {name!r} is ambiguous or unknown; use a UTC offset such as -08:00 or +05:30", with_text=False
        )
    if offset is None:
        return UTC if name is not None else None
    # timezone() refuses offsets of a day or more with ValueError: "cannot read".
    return timezone(timedelta(seconds=offset)) if offset else UTC


def _date_string(text: str, field: str) -> datetime:
    """ISO 8601 first; else RFC 822 and other unambiguous forms python-dateutil reads."""
    try:
        dt = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        pass
    else:
        if (text[4:5] == "-" and text[7:8] == "-") or _ISO_WHOLE_DATE.match(text):
            return dt
        raise ArticleError(f"{field}: {text!r} is not a whole date (year, month and day); write one such as 2021-06-10")
    if _AMBIGUOUS.match(text):
        raise ArticleError(f"{field}: {text!r} is ambiguous (day and month could be swapped); use ISO 8601")
    if _SIGNED_UTC_NAME.search(text):
        raise ArticleError(
            f"{field}: {text!r} has a zone like 'GMT+3', which software reads with either sign; use a UTC offset such as +03:00"
        )
    try:
        # _zone answers for every zone, so dateutil never warns; the filter is a second
        # guard, because under cron or --quiet a warning on stderr reads as a failure.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
            return _PARSER.parse(_OFFSET_COMMENT.sub(r"\1", text), default=_NO_CLOCK_DEFAULT, tzinfos=_zone)
    except _Refused as refused:
        reason = f"{text!r} {refused.reason}" if refused.with_text else refused.reason
        raise ArticleError(f"{field}: {reason}") from None
    except (ValueError, OverflowError, TypeError):
        raise ArticleError(f"{field}: cannot read {text!r} as a date") from None


def to_utc(value: object, field: str) -> datetime:
    """A YAML timestamp, date or date string as an aware UTC datetime; naive means UTC.

    Dates outside [MIN_DATE, MAX_DATE) are refused: they are mistakes, and the far ones
    break date arithmetic and RFC 822 formatting downstream. Strings are read as the
    module docstring says: never completed from the clock.
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
        raise ArticleError(f"{field}: {dt.date().isoformat()} is outside {MIN_DATE.year}-01-01 .. {MAX_DATE.year - 1}-12-31")
    return dt
