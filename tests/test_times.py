"""times.py is the one home of time formats: each agrees with an independent reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from feedpub.times import (
    EPOCH,
    from_micros,
    micros,
    parse_rfc3339,
    rfc822,
    rfc3339,
    utc,
)

ZONES = [None, UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
MOMENTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 30), timezones=st.sampled_from(ZONES))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(MOMENTS)
def test_rfc822_is_what_the_stdlib_writes_in_utc(moment: datetime) -> None:
    # email.utils has its own English day and month names: a locale-free reference.
    assert rfc822(moment) == format_datetime(utc(moment).replace(microsecond=0))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(MOMENTS)
def test_rfc3339_round_trips_to_the_second_in_utc(moment: datetime) -> None:
    text = rfc3339(moment)
    assert text.endswith("Z") and len(text) == 20
    assert parse_rfc3339(text) == utc(moment).replace(microsecond=0)


def test_naive_times_are_utc_and_others_are_converted() -> None:
    assert rfc3339(datetime(2024, 5, 5, 23, 59, 59)) == "2024-05-05T23:59:59Z"
    assert rfc3339(datetime(2024, 5, 6, 1, 0, tzinfo=timezone(timedelta(hours=2)))) == "2024-05-05T23:00:00Z"
    assert rfc822(datetime(2026, 12, 1, 6, 44, 38)) == "Tue, 01 Dec 2026 06:44:38 +0000"
    assert utc(datetime(2024, 1, 1)).tzinfo is UTC


def test_parse_rfc3339_refuses_what_is_not_a_time() -> None:
    assert parse_rfc3339("yesterday") is None
    assert parse_rfc3339(1700000000) is None
    assert parse_rfc3339("2024-05-05T23:59:59") == datetime(2024, 5, 5, 23, 59, 59, tzinfo=UTC)


def test_micros_count_from_the_epoch() -> None:
    assert micros(EPOCH) == 0 and from_micros(1) - EPOCH == timedelta(microseconds=1)
    moment = datetime(2024, 5, 5, 23, 59, 59, 123456, tzinfo=UTC)
    assert from_micros(micros(moment)) == moment
