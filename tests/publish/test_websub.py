"""WebSub pings against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from feedpub.deadline import Deadline
from feedpub.publish.websub import notify_hubs

from .slowhttp import slow

# Generous: proves a bound holds (a trickle never ends on its own) without timing anything finely.
SLACK = 15


class Hub:
    """A hub that records each POST and answers with ``status``."""

    def __init__(self) -> None:
        self.status = 204
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                hub.requests.append((self.path, self.headers.get("Content-Type", ""), parse_qsl(body)))
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    server = Hub()
    try:
        yield server
    finally:
        server.close()


FEEDS = ["https://example.org/feeds/ai.xml", "https://example.org/feeds/ai.atom"]


def test_hub_receives_publish_ping_for_each_changed_feed(hub: Hub) -> None:
    assert notify_hubs([hub.url], FEEDS) == []
    [(path, content_type, form)] = hub.requests
    assert path == "/hub"
    assert content_type == "application/x-www-form-urlencoded"
    assert form == [("hub.mode", "publish"), ("hub.url", FEEDS[0]), ("hub.url", FEEDS[1])]


def test_failing_hub_is_reported_and_others_still_pinged(hub: Hub) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/hub"
    refusing = Hub()
    refusing.status = 500
    try:
        problems = notify_hubs([closed, refusing.url, hub.url], FEEDS, timeout=5)
    finally:
        refusing.close()
    assert len(problems) == 2
    assert closed in problems[0] and "cannot connect" in problems[0]
    assert refusing.url in problems[1] and "500" in problems[1]
    assert all("\n" not in p for p in problems)
    assert len(hub.requests) == 1


def test_no_changed_feed_means_no_ping(hub: Hub) -> None:
    assert notify_hubs([hub.url], []) == []
    assert hub.requests == []


def test_hub_credentials_are_not_repeated_in_problems() -> None:
    problems = notify_hubs(["ftp://user:s3cret@hub.invalid/?token=abc"], FEEDS)
    assert problems == ["WebSub hub ftp://hub.invalid/: not an http(s) URL"]


@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_a_slow_hub_is_cut_at_its_bound_and_the_others_still_pinged(hub: Hub, mode: str) -> None:
    with slow(mode) as late:
        started = time.monotonic()
        problems = notify_hubs([late.url + "/hub", hub.url], FEEDS, timeout=1)
        assert time.monotonic() - started < 1 + SLACK
        assert late.wait_hung_up(1) == 1, "the slow hub's connection was cut"
    assert problems == [f"WebSub hub {late.url}/hub: no complete answer within 1 s"]
    assert len(hub.requests) == 1


def test_pings_end_within_their_total_and_the_run_deadline() -> None:
    with slow() as a, slow("stall") as b:
        hubs = [a.url + "/one", b.url + "/two"]
        started = time.monotonic()
        problems = notify_hubs(hubs, FEEDS, timeout=30, total=1)
        assert time.monotonic() - started < 1 + SLACK
        assert problems == [
            f"WebSub hub {a.url}/one: still waiting for an answer at the deadline (WebSub pings in total: 1 s)",
            f"WebSub hub {b.url}/two: still waiting for an answer at the deadline (WebSub pings in total: 1 s)",
        ]
        run = Deadline.after(1)
        problems = notify_hubs(hubs[:1], FEEDS, timeout=30, deadline=run)
        assert problems == [f"WebSub hub {a.url}/one: still waiting for an answer at the deadline (publish.deadline: 1 s)"]


def test_no_hub_is_pinged_once_the_run_deadline_has_passed(hub: Hub) -> None:
    passed = Deadline(600, time.monotonic() - 1)
    problems = notify_hubs([hub.url], FEEDS, deadline=passed)
    assert problems == [f"WebSub hub {hub.url}: not pinged: no time left (publish.deadline: 600 s)"]
    assert hub.requests == []
