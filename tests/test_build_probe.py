"""Enclosure sizes in built feeds come from the probe, then from its cache alone."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser

from feedpub.cli import main


def test_enclosure_length_probed_then_cached(tmp_path: Path) -> None:
    hits: list[str] = []

    class Images(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/webp")
            self.send_header("Content-Length", "12345")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Images)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    news = tmp_path / "site" / "_news"
    news.mkdir(parents=True)
    (news / "a.md").write_text(
        "---\ntitle: A\npublishedDateTime: 2025-01-01T00:00:00Z\nwebUrl: https://n.test/a\n"
        f"topics: [T]\nimages:\n  - url: http://127.0.0.1:{port}/pic\n---\n"
    )
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text("sources: [site]\noutput: out\nprobe:\n  enabled: true\n  cache: cache/images.json\n")
    try:
        assert main(["build", "--config", str(cfg), "--quiet"]) == 0
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert hits == ["/pic"]
    enc = feedparser.parse((tmp_path / "out" / "t.xml").read_bytes()).entries[0].enclosures[0]
    assert (enc.type, enc.length) == ("image/webp", "12345")
    # The server is gone: the second build takes the size from the cache, no network.
    (tmp_path / "out" / "t.xml").unlink()
    assert main(["build", "--config", str(cfg), "--quiet"]) == 0
    assert hits == ["/pic"]
    enc = feedparser.parse((tmp_path / "out" / "t.xml").read_bytes()).entries[0].enclosures[0]
    assert (enc.type, enc.length) == ("image/webp", "12345")
