"""Publication dates: every part comes from the text, never from the clock or the machine.

python-dateutil completes what a date string leaves out from today's date (``10:30``,
``June 10``, ``Monday``, the century of ``10 Jun 70``), drops zone names it does not
know (with a warning on stderr) and reads the machine's own zone names as local time.
These tests pin what feedpub accepts instead, and prove with a faked clock that the
outcome is the same on any day.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from dateutil import parser as dateparser
from hypothesis import given
from hypothesis import strategies as st

from feedpub.collect.dates import to_utc
from feedpub.errors import ArticleError

REPO = Path(__file__).resolve().parents[2]

ACCEPTED = {
    # ISO 8601, the common case.
    "2021-01-15T10:00:00Z": "2021-01-15T10:00:00+00:00",
    "2021-01-15T10:00:00+05:30": "2021-01-15T04:30:00+00:00",
    "2021-01-15 10:00": "2021-01-15T10:00:00+00:00",
    "20210115T1000": "2021-01-15T10:00:00+00:00",
    "2021-W02-5": "2021-01-15T00:00:00+00:00",  # a week date with its weekday is whole
    "2021-015": "2021-01-15T00:00:00+00:00",  # so is an ordinal date
    # A date without a time of day means midnight, as a YAML date does.
    "2021-01-15": "2021-01-15T00:00:00+00:00",
    "January 15, 2021": "2021-01-15T00:00:00+00:00",
    "15 Jan 2021 10 PM": "2021-01-15T22:00:00+00:00",
    # RFC 822 / 5322: offsets, UTC names, a zone name only as a comment after an offset.
    "Fri, 15 Jan 2021 10:00:00 -0800": "2021-01-15T18:00:00+00:00",
    "Fri, 15 Jan 2021 10:00:00 +0530": "2021-01-15T04:30:00+00:00",
    "Fri, 15 Jan 2021 10:00:00 -0800 (PST)": "2021-01-15T18:00:00+00:00",
    "Fri, 15 Jan 2021 10:00:00 GMT": "2021-01-15T10:00:00+00:00",
    "Fri, 15 Jan 2021 10:00:00 UT": "2021-01-15T10:00:00+00:00",
    "15 Jan 2021 10:00 UTC": "2021-01-15T10:00:00+00:00",
    "15 Jan 2021 10:00 Z": "2021-01-15T10:00:00+00:00",
    "15 Jan 2021 10:00": "2021-01-15T10:00:00+00:00",
}

REFUSED = {
    # Parts that dateutil would take from today's date.
    "10:30": "'10:30' has no year, month and day",
    "June 10": "'June 10' has no year;",
    "Monday": "'Monday' has no year, month and day",
    "Monday 10:30": "has no year, month and day",
    "June 2021": "'June 2021' has no day",
    "15 10:00": "'15 10:00' has no year and month",
    "Friday 2021": "'Friday 2021' has no month and day",
    "2021-06T10:00": "has no day",
    "15 Jan 21": "'15 Jan 21' has a two-digit year",
    "Jan of 21": "has a two-digit year",
    # Reduced ISO dates that isoparse completes with the first month or day.
    "2021": "'2021' is not a whole date",
    "2021-06": "'2021-06' is not a whole date",
    "2021-W24": "'2021-W24' is not a whole date",
    "2021 10:00": "is not a whole date",
    # Zone names: unknown, ambiguous (IST: India, Ireland, Israel; CST: US, China, Cuba).
    "2020-06-10 12:00:00 PST": "time zone name 'PST' is ambiguous or unknown; use a UTC offset",
    "2020-06-10 12:00:00 IST": "time zone name 'IST' is ambiguous or unknown",
    "Wed, 10 Jun 2020 12:00:00 CST": "time zone name 'CST' is ambiguous or unknown",
    "2020-06-10 12:00 EST+5": "time zone name 'EST' is ambiguous or unknown",
    "2020-06-10 12:00 FOO": "time zone name 'FOO' is ambiguous or unknown",
    # GMT+3 is UTC+3 to people and UTC-3 to POSIX (and dateutil).
    "10 Jun 2020 12:00 GMT+3": "has a zone like 'GMT+3'",
    "10 Jun 2020 12:00 UTC-05:00": "has a zone like 'GMT+3'",
    # The text contradicts itself (10 June 2020 was a Wednesday).
    "Tue, 10 Jun 2020 12:00:00 +0000": "names the wrong weekday: 2020-06-10 is a Wednesday",
    # Day and month could be swapped.
    "01/02/2021": "is ambiguous (day and month could be swapped)",
    "01 02 2021": "is ambiguous (day and month could be swapped)",
    # Unreadable, and dateutil's relative words.
    "next tuesday": "cannot read 'next tuesday' as a date",
    "today": "cannot read 'today' as a date",
    "2021-01-15T99:99": "cannot read",
    "15 Jan 2021 10:00 +25:00": "cannot read",
}

# Strings whose meaning dateutil takes from the clock when left to itself.
CLOCK_DEPENDENT = ("10:30", "June 10", "Monday", "10 Jun 70")


@pytest.mark.parametrize("text", sorted(ACCEPTED))
def test_accepted(text: str) -> None:
    got = to_utc(text, "publishedDateTime")
    assert got.tzinfo == UTC
    assert got.isoformat() == ACCEPTED[text]


@pytest.mark.parametrize("text", sorted(REFUSED))
def test_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ArticleError) as refused:
        to_utc(text, "publishedDateTime")
    assert str(refused.value).startswith("publishedDateTime: ")
    assert REFUSED[text] in str(refused.value)


def test_yaml_values_are_unchanged() -> None:
    """YAML timestamps and dates never reach the string parser: naive means UTC."""
    assert to_utc(datetime(2021, 1, 15, 10), "f") == datetime(2021, 1, 15, 10, tzinfo=UTC)
    assert to_utc(date(2021, 1, 15), "f") == datetime(2021, 1, 15, tzinfo=UTC)


def test_no_warning_and_nothing_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    texts = [*ACCEPTED, *REFUSED, *CLOCK_DEPENDENT]
    # The control: dateutil alone does warn about the unknown zone.
    with pytest.warns(dateparser.UnknownTimezoneWarning):
        dateparser.parse("2020-06-10 12:00:00 PST")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for text in texts:
            try:
                to_utc(text, "publishedDateTime")
            except ArticleError:
                pass
    assert [str(w.message) for w in caught] == []
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_machine_zone_names_are_not_read_as_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """dateutil reads a zone name that is the machine's own as local time: the same file
    would give different instants on differently configured machines."""
    monkeypatch.setattr(time, "tzname", ("PST", "PDT"))
    control = dateparser.parse("2020-06-10 12:00:00 PST")
    assert control.tzinfo is not None  # dateutil took the machine's zone
    with pytest.raises(ArticleError, match="time zone name 'PST' is ambiguous or unknown"):
        to_utc("2020-06-10 12:00:00 PST", "publishedDateTime")


# Run in a fresh interpreter whose clock says sys.argv[1], faked before dateutil and
# feedpub are imported (dateutil reads the year when it builds its tables, and
# datetime.now() when it is given no default). Prints what dateutil alone makes of the
# clock-dependent strings (to show the fake clock is the one it reads), what to_utc makes
# of every string and of every hostile date case, and which clock reads to_utc made.
_FAKE_CLOCK_RUN = r"""
import datetime as _dt, json, sys, time as _time
from pathlib import Path

FAKE = _dt.datetime.fromisoformat(sys.argv[1])
FAKE_TS = FAKE.replace(tzinfo=_dt.timezone.utc).timestamp()
reads = []

class FakeDateTime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        reads.append("datetime.now")
        return FAKE if tz is None else FAKE.replace(tzinfo=_dt.timezone.utc).astimezone(tz)
    @classmethod
    def today(cls):
        reads.append("datetime.today")
        return FAKE
    @classmethod
    def utcnow(cls):
        reads.append("datetime.utcnow")
        return FAKE

real_localtime, real_gmtime = _time.localtime, _time.gmtime

def fake_localtime(secs=None):
    if secs is None:
        reads.append("time.localtime")
        return real_gmtime(FAKE_TS)
    return real_localtime(secs)

def fake_gmtime(secs=None):
    if secs is None:
        reads.append("time.gmtime")
        secs = FAKE_TS
    return real_gmtime(secs)

def fake_time():
    reads.append("time.time")
    return FAKE_TS

# (datetime.date stays real: relativedelta checks isinstance(x, datetime.date).)
_dt.datetime = FakeDateTime
_time.localtime, _time.gmtime, _time.time = fake_localtime, fake_gmtime, fake_time
_time.time_ns = lambda: (reads.append("time.time_ns"), int(FAKE_TS * 1e9))[1]

from dateutil import parser as dateparser
from feedpub.collect.article import parse_article
from feedpub.collect.dates import to_utc
from feedpub.errors import ArticleError

texts, cases, control = json.loads(sys.stdin.read())
out = {"control": {t: dateparser.parse(t).isoformat() for t in control}}
reads.clear()
results = {}
for text in texts:
    try:
        results[text] = "accepted " + to_utc(text, "publishedDateTime").isoformat()
    except ArticleError as e:
        results[text] = "refused " + str(e)
for case in cases:
    got = parse_article(case, Path(case).read_bytes())
    results[Path(case).name] = getattr(got, "reason", None) or got.published_at.isoformat()
out["results"] = results
out["reads"] = reads
print(json.dumps(out))
"""


def _under_fake_clock(today: str, texts: list[str], cases: list[str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _FAKE_CLOCK_RUN, today],
        input=json.dumps([texts, cases, list(CLOCK_DEPENDENT)]),
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == ""  # no warning either
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_same_outcome_under_two_different_todays() -> None:
    texts = sorted({*ACCEPTED, *REFUSED, *CLOCK_DEPENDENT})
    cases = sorted(str(p) for p in (REPO / "tests" / "hostile" / "cases").glob("date-*.md"))
    assert len(cases) >= 20
    early = _under_fake_clock("2001-02-03T10:00:00", texts, cases)
    late = _under_fake_clock("2087-11-30T10:00:00", texts, cases)
    # The fake clock is the one dateutil reads: left to itself it gives other dates.
    assert early["control"]["10:30"].startswith("2001-02-03T10:30")  # type: ignore[index]
    assert late["control"]["June 10"].startswith("2087-06-10")  # type: ignore[index]
    assert early["control"]["10 Jun 70"].startswith("1970-") and late["control"]["10 Jun 70"].startswith("2070-")  # type: ignore[index]
    for text in CLOCK_DEPENDENT:
        assert early["control"][text] != late["control"][text], text  # type: ignore[index]
    # feedpub gives the same answers on both days, read no clock, and refused them all.
    assert early["results"] == late["results"]
    assert early["reads"] == late["reads"] == []
    results: dict[str, str] = early["results"]  # type: ignore[assignment]
    for text in CLOCK_DEPENDENT:
        assert results[text].startswith("refused "), text
    # ... and the same answers as without the fake.
    for text, expected in ACCEPTED.items():
        assert results[text] == "accepted " + expected
    for text, reason in REFUSED.items():
        assert results[text].startswith("refused ") and reason in results[text]


@given(st.text(max_size=40))
def test_any_text_gives_utc_or_a_reason(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            got = to_utc(text, "f")
        except ArticleError as refused:
            assert str(refused).startswith("f: ")  # noqa: PT017 - refusing is one of two right outcomes, not required
        else:
            assert got.tzinfo == UTC


@given(
    st.sampled_from(["10:30", "June 10", "Monday", "June 2021", "10 Jun", "Tuesday 08:00", "2021-06"]),
    st.sampled_from(["", " GMT", " +0200"]),
)
def test_partial_dates_are_refused_whatever_follows(partial: str, zone: str) -> None:
    with pytest.raises(ArticleError, match=r"has no|not a whole date|cannot read"):
        to_utc(partial + zone, "f")
