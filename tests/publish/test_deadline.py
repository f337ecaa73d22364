"""Total bounds on network calls (feedpub.deadline) against real servers on 127.0.0.1 that never finish."""

from __future__ import annotations

import time
from functools import partial

import pytest
import requests

from feedpub.deadline import Cutter, Deadline, TimedOut, bounded, watched_session

from .slowhttp import slow

# Generous: proves a bound holds (a trickle never ends on its own) without timing anything finely.
SLACK = 15


def test_bounded_returns_the_value_or_the_error_of_a_quick_call() -> None:
    assert bounded(lambda: 42, 5) == 42
    empty: dict[str, int] = {}
    with pytest.raises(KeyError, match="nope"):
        bounded(lambda: empty["nope"], 5)


@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_a_request_that_never_finishes_is_cut_at_its_bound(mode: str) -> None:
    with slow(mode) as server:
        cutter = Cutter()
        with watched_session(cutter) as session:
            # requests' timeout bounds each read: 5 s between trickled bytes never passes.
            send = partial(session.get, server.url + "/x", timeout=5, stream=True)
            started = time.monotonic()
            with pytest.raises(TimedOut) as info:
                bounded(send, 1, cutter=cutter)
            assert time.monotonic() - started < 1 + SLACK
        assert str(info.value) == "no complete answer within 1 s"
        assert info.value.deadline is None
        # The connection was shut down, not left reading in a stray thread.
        assert server.wait_hung_up(1) == 1


def test_the_run_deadline_wins_when_it_comes_first_and_is_named() -> None:
    with slow() as server:
        deadline = Deadline.after(1)
        cutter = Cutter()
        with watched_session(cutter) as session, pytest.raises(TimedOut) as info:
            bounded(partial(session.get, server.url, timeout=5), 30, deadline=deadline, cutter=cutter)
        assert info.value.deadline is deadline
        assert info.value.cause() == "still waiting for an answer at the deadline (publish.deadline: 1 s)"
        assert server.wait_hung_up(1) == 1


def test_a_cut_client_opens_no_new_connection() -> None:
    with slow() as server:
        cutter = Cutter()
        with watched_session(cutter) as session:
            with pytest.raises(TimedOut):
                bounded(partial(session.get, server.url, timeout=5), 0.5, cutter=cutter)
            assert server.accepted == 1
            # Later calls fail at once with the same cause, without a connection.
            with pytest.raises(TimedOut, match=r"within 0\.5 s"):
                bounded(partial(session.get, server.url, timeout=5), 30, cutter=cutter)
            with pytest.raises(requests.ConnectionError, match="cut at a deadline"):
                session.get(server.url, timeout=5)
        assert server.accepted == 1


def test_a_passed_deadline_starts_nothing() -> None:
    calls: list[int] = []
    passed = Deadline.after(-1)
    assert passed.expired() and passed.remaining() < 0
    with pytest.raises(TimedOut) as info:
        bounded(lambda: calls.append(1), 30, deadline=passed)
    assert calls == [] and info.value.deadline is passed


def test_sooner_keeps_the_earlier_deadline() -> None:
    run = Deadline.after(600)
    pings = Deadline.after(30, "WebSub pings in total")
    assert run.sooner(pings) is pings
    assert pings.sooner(run) is pings
    assert run.sooner(None) is run
    assert pings.describe() == "WebSub pings in total: 30 s"
