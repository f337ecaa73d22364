"""Image probing against a real HTTP server on 127.0.0.1 started by the tests."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from feedpub.config import ProbeSettings
from feedpub.deadline import Deadline, DeadlineExceeded
from feedpub.render.images import ProbeResult, guess_image_type
from feedpub.render.probe import MAX_REDIRECTS, ImageProbe

from ..publish.slowhttp import slow

GIB = 1024**3


class ImageServer(ThreadingHTTPServer):
    """Serves made-up images with the quirks real image hosts have; counts every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.callers: set[str] = set()
        self.lock = threading.Lock()
        self.release = threading.Event()  # lets the slow handler finish at teardown

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: ImageServer

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _ranged(self, kind: str, size: int) -> None:
        if self.command == "GET" and self.headers.get("Range") == "bytes=0-0":
            self._send(206, {"Content-Type": kind, "Content-Range": f"bytes 0-0/{size}", "Content-Length": "1"}, b"x")
        else:
            self._send(200, {"Content-Type": kind, "Content-Length": str(size)}, b"x" * size)

    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _route(self) -> None:
        with self.server.lock:
            self.server.hits[self.path] += 1
            self.server.callers.add(self.headers.get("User-Agent", ""))
        path, head = self.path, self.command == "HEAD"
        if path == "/a.jpg":
            self._send(200, {"Content-Type": "image/jpeg", "Content-Length": "1234"}, b"x" * 1234)
        elif path == "/moved.png":
            self._send(301, {"Location": "/b.png", "Content-Length": "0"})
        elif path == "/b.png":
            self._send(200, {"Content-Type": "image/png", "Content-Length": "2048"}, b"x" * 2048)
        elif path == "/loop.jpg":
            self._send(302, {"Location": "/loop.jpg", "Content-Length": "0"})
        elif path == "/elsewhere.png":
            self._send(302, {"Location": "ftp://127.0.0.1/elsewhere.png", "Content-Length": "0"})
        elif path == "/page.jpg":
            self._send(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": "5"}, b"<p>hi")
        elif path == "/huge.png":
            self._send(200, {"Content-Type": "image/png", "Content-Length": str(3 * GIB)})
        elif path == "/nohead.gif":
            if head:
                self._send(405, {"Allow": "GET", "Content-Length": "0"})
            else:
                self._ranged("image/gif", 777)
        elif path == "/nolength.webp":
            if head:
                self._send(200, {"Content-Type": "image/webp"})
            else:
                self._ranged("image/webp", 4321)
        elif path == "/norange.png":
            if head:
                self._send(405, {"Content-Length": "0"})
            else:
                self._send(200, {"Content-Type": "image/png", "Content-Length": "500"}, b"x" * 500)
        elif path == "/img?id=7":
            self._send(200, {"Content-Type": "image/avif", "Content-Length": "99"}, b"x" * 99)
        elif path == "/slow.png":
            self.server.release.wait(30)
            self._send(200, {"Content-Type": "image/png", "Content-Length": "10"}, b"x" * 10)
        else:
            self._send(404, {"Content-Type": "text/plain", "Content-Length": "9"}, b"not found")


@pytest.fixture
def server() -> Iterator[ImageServer]:
    srv = ImageServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        thread.join()


class Clock:
    """A settable clock for cache ageing."""

    def __init__(self) -> None:
        self.moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment


def make_probe(tmp_path: Path, clock: Clock | None = None, *, workers: int = 4, **settings: Any) -> ImageProbe:
    """A probe with these ``probe`` settings (the documented defaults for the rest, a 2 s timeout)."""
    settings.setdefault("timeout", 2)
    cache = tmp_path / "cache" / "images.json"
    return ImageProbe(ProbeSettings(enabled=True, cache=cache, **settings), now=clock or Clock(), workers=workers)


def test_sizes_and_types_come_from_the_server(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    got = make_probe(tmp_path).probe_all([f"{b}/a.jpg", f"{b}/moved.png", f"{b}/img?id=7"])
    assert got == {
        f"{b}/a.jpg": ProbeResult("image/jpeg", 1234),
        f"{b}/moved.png": ProbeResult("image/png", 2048),
        f"{b}/img?id=7": ProbeResult("image/avif", 99),
    }
    assert server.hits["/b.png"] == 1, "the redirect is followed"
    assert server.callers and all(ua.startswith("feedpub/") for ua in server.callers)


def test_head_refused_or_without_length_falls_back_to_a_ranged_get(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    got = make_probe(tmp_path).probe_all([f"{b}/nohead.gif", f"{b}/nolength.webp", f"{b}/norange.png"])
    assert got[f"{b}/nohead.gif"] == ProbeResult("image/gif", 777)
    assert got[f"{b}/nolength.webp"] == ProbeResult("image/webp", 4321)
    assert got[f"{b}/norange.png"] == ProbeResult("image/png", 500)


def test_failures_keep_the_extension_type_and_unknown_length(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    urls = [
        f"{b}/missing.png",
        f"{b}/page.jpg",
        f"{b}/huge.png",
        f"{b}/loop.jpg",
        f"{b}/elsewhere.png",
        f"http://127.0.0.1:{closed}/x.gif",
        "ftp://127.0.0.1/y.webp",
        "data:image/png;base64,AAAA",
    ]
    got = make_probe(tmp_path).probe_all(urls)
    assert got == {
        f"{b}/missing.png": ProbeResult("image/png", 0),
        f"{b}/page.jpg": ProbeResult("image/jpeg", 0),
        f"{b}/huge.png": ProbeResult("image/png", 0),
        f"{b}/loop.jpg": ProbeResult("image/jpeg", 0),
        f"{b}/elsewhere.png": ProbeResult("image/png", 0),
        f"http://127.0.0.1:{closed}/x.gif": ProbeResult("image/gif", 0),
        "ftp://127.0.0.1/y.webp": ProbeResult("image/webp", 0),
        "data:image/png;base64,AAAA": ProbeResult("image/jpeg", 0),
    }
    assert server.hits["/loop.jpg"] == MAX_REDIRECTS + 1, "redirect loops are cut short"
    assert server.hits["/elsewhere.png"] == 1


def test_a_server_slower_than_the_timeout_is_given_up(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    got = make_probe(tmp_path, timeout=0.2).probe_all([f"{b}/slow.png", f"{b}/a.jpg"])
    assert got == {f"{b}/slow.png": ProbeResult("image/png", 0), f"{b}/a.jpg": ProbeResult("image/jpeg", 1234)}
    assert server.hits["/slow.png"] == 1, "a timed-out HEAD is not retried as GET"


def test_second_run_is_served_from_the_cache_without_network(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    urls = [f"{b}/a.jpg", f"{b}/nohead.gif", f"{b}/missing.png", f"{b}/page.jpg"]
    first = make_probe(tmp_path)
    answers = first.probe_all(urls)
    first.save()
    before = sum(server.hits.values())

    second = make_probe(tmp_path)
    assert second.probe_all(urls) == answers
    assert second.lookup(f"{b}/nohead.gif") == ProbeResult("image/gif", 777)
    assert second.lookup(f"{b}/never.png") is None
    assert sum(server.hits.values()) == before

    cache = json.loads((tmp_path / "cache" / "images.json").read_text(encoding="utf-8"))
    assert cache["images"][f"{b}/a.jpg"] == {"type": "image/jpeg", "length": 1234, "checked_at": "2024-05-01T12:00:00Z"}


def test_max_per_run_bounds_the_probes_of_one_run(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    urls = [f"{b}/a.jpg", f"{b}/b.png", f"{b}/img?id=7", f"{b}/nolength.webp", f"{b}/nohead.gif"]
    probe = make_probe(tmp_path, max_per_run=2, workers=2)
    got = probe.probe_all(urls + urls)  # duplicates are asked once
    assert len(got) == 5
    assert len(server.hits) == 2
    known = [r for r in got.values() if r.length]
    assert len(known) == 2
    assert got[f"{b}/nohead.gif"] == ProbeResult("image/gif", 0)
    probe.save()

    later = make_probe(tmp_path, max_per_run=10)
    assert all(r.length for r in later.probe_all(urls).values()), "the next run probes the rest"
    assert len(server.hits) == 5


def test_answers_are_refreshed_after_max_age(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    clock = Clock()
    probe = make_probe(tmp_path, clock, max_age_days=3)
    probe.probe_all([f"{b}/a.jpg"])
    probe.save()

    clock.moment += timedelta(days=3) - timedelta(seconds=1)
    make_probe(tmp_path, clock, max_age_days=3).probe_all([f"{b}/a.jpg"])
    assert server.hits["/a.jpg"] == 1

    clock.moment += timedelta(seconds=2)
    again = make_probe(tmp_path, clock, max_age_days=3)
    assert again.probe_all([f"{b}/a.jpg"]) == {f"{b}/a.jpg": ProbeResult("image/jpeg", 1234)}
    assert server.hits["/a.jpg"] == 2


def test_failures_are_retried_after_a_day_not_every_run(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    clock = Clock()
    probe = make_probe(tmp_path, clock)
    probe.probe_all([f"{b}/missing.png"])
    probe.save()
    hits = server.hits["/missing.png"]

    clock.moment += timedelta(hours=23)
    make_probe(tmp_path, clock).probe_all([f"{b}/missing.png"])
    assert server.hits["/missing.png"] == hits
    clock.moment += timedelta(hours=2)
    make_probe(tmp_path, clock).probe_all([f"{b}/missing.png"])
    assert server.hits["/missing.png"] > hits


def test_a_good_answer_survives_a_later_failure(server: ImageServer, tmp_path: Path) -> None:
    b = server.base
    clock = Clock()
    first = make_probe(tmp_path, clock, max_age_days=1)
    first.probe_all([f"{b}/a.jpg"])
    first.save()
    # The host goes away; the answer has aged and the retry fails.
    server.shutdown()
    server.server_close()
    clock.moment += timedelta(days=2)
    second = make_probe(tmp_path, clock, max_age_days=1, timeout=0.5)
    assert second.probe_all([f"{b}/a.jpg"]) == {f"{b}/a.jpg": ProbeResult("image/jpeg", 1234)}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"version": 1, "images": {"x": 5}}', "\udcff"])
def test_a_corrupt_cache_is_ignored_and_rebuilt(server: ImageServer, tmp_path: Path, content: str) -> None:
    path = tmp_path / "cache" / "images.json"
    path.parent.mkdir()
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    probe = make_probe(tmp_path)
    assert probe.probe_all([f"{server.base}/a.jpg"])[f"{server.base}/a.jpg"].length == 1234
    probe.save()
    cache = json.loads(path.read_text(encoding="utf-8"))
    assert list(cache["images"]) == [f"{server.base}/a.jpg"]
    assert not list(path.parent.glob("*.tmp")), "no temporary file is left behind"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://e.com/a/b.PNG", "image/png"),
        ("https://e.com/a.jpeg?w=200", "image/jpeg"),
        ("https://e.com/pic.webp#x", "image/webp"),
        ("https://e.com/logo.svg", "image/svg+xml"),
        ("https://e.com/image?format=png", "image/jpeg"),
        ("https://e.com/", "image/jpeg"),
        ("https://e.com/file.txt", "image/jpeg"),
    ],
)
def test_guess_image_type_reads_the_path_extension(url: str, kind: str) -> None:
    assert guess_image_type(url) == kind


@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_a_host_that_never_finishes_is_cut_at_the_timeout(server: ImageServer, tmp_path: Path, mode: str) -> None:
    with slow(mode) as late:
        # requests' timeout bounds each read (2 s): the trickle's bytes come faster than that.
        probe = make_probe(tmp_path, timeout=2)
        got = probe.probe_all([f"{late.url}/pic.png", f"{server.base}/a.jpg"])
        assert late.wait_hung_up(1) == 1 and late.requests == 1, "a cut HEAD is not retried as GET"
    assert got == {f"{late.url}/pic.png": ProbeResult("image/png", 0), f"{server.base}/a.jpg": ProbeResult("image/jpeg", 1234)}
    probe.save()
    saved = json.loads((tmp_path / "cache" / "images.json").read_text(encoding="utf-8"))["images"]
    assert saved[f"{late.url}/pic.png"]["error"] == "no complete answer within 2 s"


def test_the_run_deadline_ends_probing_naming_the_host_and_remembers_it(server: ImageServer, tmp_path: Path) -> None:
    settings = ProbeSettings(enabled=True, cache=tmp_path / "images.json", timeout=60)
    with slow() as late:
        slow_url = f"http://user:pw@127.0.0.1:{late.port}/pic.png?token=t"
        # One worker: the host still answering holds it, so the image after it never starts.
        probe = ImageProbe(settings, now=Clock(), workers=1, deadline=Deadline.after(1))
        with pytest.raises(DeadlineExceeded) as info:
            probe.probe_all([slow_url, f"{server.base}/a.jpg"])
        assert late.wait_hung_up(1) == 1
        probe.save()
        # The next run does not wait on the host again (it is retried after a day).
        assert ImageProbe(settings, now=Clock()).probe_all([slow_url]) == {slow_url: ProbeResult("image/png", 0)}
        assert late.accepted == 1
    assert str(info.value) == (
        f"image host http://127.0.0.1:{late.port}: still waiting for an answer at the deadline (publish.deadline: 1 s)"
    )
    assert info.value.exit_status == 3
    # The image that never started is neither asked nor recorded.
    assert server.hits["/a.jpg"] == 0
    saved = json.loads((tmp_path / "images.json").read_text(encoding="utf-8"))["images"]
    assert list(saved) == [slow_url] and saved[slow_url]["error"] == info.value.args[0].split(": ", 1)[1]
