"""Headless Chromium and a local web server for the page tests (index.html, topic pages).

Chromium is Debian's ``chromium`` (scripts/test installs it as root); without it the
browser tests skip and say why. Every server is on 127.0.0.1 and stopped by the fixture
that starts it; the pages under test link and embed only 127.0.0.1 files, so nothing
leaves the machine.
"""

from __future__ import annotations

import functools
import re
import shutil
import struct
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
"""Where screenshots are kept for people to look at (ignored by git)."""

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")

# Chromium's --enable-logging=stderr writes each console message (a CSP violation, an
# uncaught error, a failed load) as a line with ":CONSOLE".
_CONSOLE = re.compile(r"^.*:CONSOLE[:(].*$", re.MULTILINE)


class Links(HTMLParser):
    """Collects <a href> and <link rel=alternate> (noting whether it sits in <head>)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[str] = []
        self.alternates: list[dict[str, str | None]] = []
        self.in_head = False
        self.tags: set[str] = set()
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        elif tag == "a" and a.get("href"):
            self.anchors.append(a["href"] or "")
        elif tag == "link" and a.get("rel") == "alternate":
            self.alternates.append({**a, "in_head": "yes" if self.in_head else "no"})
        if "src" in a:
            self.srcs.append(a["src"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False


def parse(page: str) -> Links:
    links = Links()
    links.feed(page)
    return links


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name in the method overridden
        pass


@contextmanager
def web_server(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) while the block runs; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def chromium_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile and console logging; it must exit 0."""
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def chromium(tmp_path: Path, *args: str) -> str:
    """Headless Chromium's stdout (the DOM with --dump-dom)."""
    return chromium_run(tmp_path, *args).stdout


def console_messages(stderr: str) -> list[str]:
    """The page console messages in Chromium's log (CSP violations, script errors, failed loads)."""
    return _CONSOLE.findall(stderr)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def fetch_status(url: str) -> int:
    """The HTTP status of GET ``url`` (no proxy: the servers are local)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        return int(resp.status)
