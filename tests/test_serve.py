"""``feedpub serve``: a real server process answered over HTTP on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import FIXTURE_SITE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedpub", "serve", "--source", str(site), "--port", str(port), "--min-quality", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                requests.get(base, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, site
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serves_feeds_with_types_and_conditional_get(server) -> None:
    base, _site = server
    r = requests.get(base + "robots.xml", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert f"{base}robots.xml".encode() in r.content  # self link points at the preview
    assert requests.get(base + "robots.atom", timeout=5).headers["Content-Type"].startswith("application/atom+xml")
    assert requests.get(base, timeout=5).headers["Content-Type"].startswith("text/html")
    again = requests.get(base + "robots.xml", headers={"If-None-Match": r.headers["ETag"]}, timeout=5)
    assert again.status_code == 304 and again.content == b""
    since = requests.get(base + "robots.xml", headers={"If-Modified-Since": r.headers["Last-Modified"]}, timeout=5)
    assert since.status_code == 304
    assert requests.get(base + "../etc/passwd", timeout=5).status_code == 404


def test_rebuilds_when_an_article_changes(server) -> None:
    base, site = server
    before = requests.get(base + "robots.xml", timeout=5)
    article = site / "_news" / "2025-03-02-vacuum.md"
    article.write_text(article.read_text().replace("Vacuum robots map", "Edited vacuum robots map"))
    for _ in range(50):
        time.sleep(0.2)
        r = requests.get(base + "robots.xml", headers={"If-None-Match": before.headers["ETag"]}, timeout=5)
        if r.status_code == 200:
            break
    else:
        pytest.fail("no rebuilt feed after 50 tries, 0.2 s apart")
    assert r.status_code == 200 and b"Edited vacuum robots map" in r.content


def test_serves_archive_and_top_feeds_from_their_folders(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    config = tmp_path / "feedpub.yaml"
    config.write_text("sources: [site]\narchive: {enabled: true}\ndigest: {enabled: true, days: 3660}\n", encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedpub", "serve", "--config", str(config), "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                requests.get(base, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        r = requests.get(base + "archive/robots/1.atom", timeout=5)
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert f"{base}robots.atom".encode() in r.content  # the current link points at the preview
        assert requests.get(base + "top/robots.json", timeout=5).headers["Content-Type"].startswith("application/feed+json")
        assert requests.get(base + "archive/../../feedpub.yaml", timeout=5).status_code == 404
        assert requests.get(base + "archive/robots", timeout=5).status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)
