"""``feedpub serve``: a real server process answered over HTTP on 127.0.0.1."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from feedpub import reload
from feedpub.serve import changes, preview_url, rebuild_line

from .cdp import CHROMIUM, Browser
from .conftest import FIXTURE_SITE
from .processes import free_port


class Preview:
    """A ``feedpub serve`` process started as a user would, its stderr kept in a file."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.site = tmp_path / "site"
        shutil.copytree(FIXTURE_SITE, self.site)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log = tmp_path / "serve-stderr.txt"
        args = ["serve", "--source", str(self.site), "--port", str(self.port), "--min-quality", "0", *extra]
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "feedpub", *args], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err
            )
        for _ in range(150):
            try:
                requests.get(self.base, timeout=1)
                return
            except requests.ConnectionError:
                assert self.proc.poll() is None, self.stderr()
                time.sleep(0.1)
        pytest.fail("the preview did not answer within 15 s")

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout=10)


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    running = Preview(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(preview: Preview) -> tuple[str, Path]:
    return preview.base, preview.site


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


def edit(site: Path, old: str, new: str) -> None:
    article = site / "_news" / "2025-03-02-vacuum.md"
    article.write_text(article.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def wait_for(check, what: str, tries: int = 100) -> None:
    """Ask ``check`` until it is true, 0.1 s apart (a bound on waiting, not a timing)."""
    for _ in range(tries):
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what}: not after {tries} tries, 0.1 s apart")


def test_each_rebuild_says_what_changed_how_long_and_what_was_rewritten(preview: Preview) -> None:
    edit(preview.site, "Vacuum robots map", "Edited vacuum robots map")
    wait_for(lambda: "rebuilt" in preview.stderr(), "a rebuild line")
    [line] = [x for x in preview.stderr().splitlines() if "rebuilt" in x]
    found = re.fullmatch(
        r"feedpub: rebuilt in (\d+\.\d\d) s \(changed _news/2025-03-02-vacuum\.md\): (\d+) files rewritten: (.*)", line
    )
    assert found, line
    # The article is in two topics and the site feed: their three feeds and their page each,
    # and index.html (its cards show the newest headlines); nothing else.
    assert found.group(2) == "13" and found.group(3).startswith("all.atom, all.json, all.xml, home.atom and 9 more")
    preview.stop()
    assert "Traceback" not in preview.stderr()


def test_served_pages_reload_but_the_built_page_has_no_script(preview: Preview, tmp_path: Path) -> None:
    served = requests.get(preview.base, timeout=5)
    policy = served.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    tag = '<script src="/__feedpub/reload.js" data-build="1" data-poll="/__feedpub/build"></script>\n'
    assert served.text.count("<script") == 1 and tag + "</body>" in served.text
    # What the same build writes to a folder is the served page without the tag.
    out = tmp_path / "built"
    done = subprocess.run(
        [sys.executable, "-m", "feedpub", "build", "--source", str(preview.site), "--output", str(out),
         "--min-quality", "0", "--base-url", preview.base, "--no-cache"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    built = (out / "index.html").read_text(encoding="utf-8")
    # The page's own policy (a <meta> tag, which would block the script) moves into the header.
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', built)
    assert meta is not None and "script-src 'none'" in meta.group(1)
    assert "<script" not in built and served.text.replace(tag, "") == built.replace(meta.group(0), "")
    assert policy == reload.allow_script(html.unescape(meta.group(1)))
    # A topic page keeps its copy script (allowed by its hash) beside the reload script.
    page = requests.get(preview.base + "robots.html", timeout=5)
    sources = next(d for d in page.headers["Content-Security-Policy"].split("; ") if d.startswith("script-src"))
    assert "'self'" in sources and "'sha256-" in sources and "'none'" not in sources
    # Feeds are sent as built: no tag in XML or JSON.
    assert b"<script" not in requests.get(preview.base + "robots.xml", timeout=5).content
    script = requests.get(preview.base + "__feedpub/reload.js", timeout=5)
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8" and b"location.reload()" in script.content
    assert requests.get(preview.base + "__feedpub/build", timeout=5).text == "1"
    edit(preview.site, "Vacuum robots map", "Edited vacuum robots map")
    wait_for(lambda: requests.get(preview.base + "__feedpub/build", timeout=5).text == "2", "build number 2")
    assert 'data-build="2"' in requests.get(preview.base, timeout=5).text


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_an_edited_article_reloads_the_page_in_a_real_browser(preview: Preview, tmp_path: Path) -> None:
    with Browser(tmp_path / "profile") as browser:
        browser.open(preview.base)
        # The page itself, loaded (not the blank page a new tab starts with).
        loaded = f"document.readyState === 'complete' && location.href === {preview.base!r}"
        wait_for(lambda: browser.evaluate(loaded) is True, "the page loaded")
        assert "Robots" in browser.evaluate("document.body.innerText")
        assert "Gardening" not in browser.evaluate("document.body.innerText")
        browser.evaluate("window.feedpubMarker = 1")  # gone once the page reloads
        edit(preview.site, "  - Home\n", "  - Home\n  - Gardening\n")
        wait_for(lambda: browser.evaluate("String(window.feedpubMarker)") == "undefined", "the page reloaded", tries=200)
        wait_for(lambda: "Gardening" in (browser.evaluate("document.body && document.body.innerText") or ""), "new topic shown")
        # The script ran under the served page's own policy: nothing was blocked on the way.
        assert browser.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"


def test_base_url_is_used_for_links_and_answered_under_its_path(tmp_path: Path) -> None:
    preview = Preview(tmp_path, "--base-url", "https://preview.example.test/news/")
    try:
        feed = requests.get(preview.base + "news/robots.xml", timeout=5)
        assert feed.status_code == 200 and b'href="https://preview.example.test/news/robots.xml"' in feed.content
        assert requests.get(preview.base + "robots.xml", timeout=5).content == feed.content
        page = requests.get(preview.base + "news/", timeout=5).text
        assert 'src="/news/__feedpub/reload.js"' in page
        assert requests.get(preview.base + "news/__feedpub/build", timeout=5).text == "1"
        opml = requests.get(preview.base + "news/index.opml", timeout=5).text
        assert 'xmlUrl="https://preview.example.test/news/robots.xml"' in opml
    finally:
        preview.stop()
    assert (
        f"serving {preview.base}news/ (index.html lists the feeds; links use https://preview.example.test/news/)"
        in preview.stderr()
    )


def test_bind_any_address_serves_and_links_to_loopback(tmp_path: Path) -> None:
    preview = Preview(tmp_path, "--bind", "0.0.0.0")
    try:
        assert f'href="{preview.base}robots.xml"'.encode() in requests.get(preview.base + "robots.xml", timeout=5).content
    finally:
        assert preview.stop() == 0  # SIGTERM ends a preview as Ctrl-C does
    assert f"serving {preview.base} " in preview.stderr()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bind", "localhost.example"], "feedpub: error: --bind localhost.example: not an IP address"),
        (["--base-url", "ftp://x.test/"], "feedpub: error: --base-url: not an absolute http(s) URL"),
    ],
)
def test_bad_bind_or_base_url_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "feedpub", "serve", "--source", str(FIXTURE_SITE), "--port", "0", *args],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith(message) and len(done.stderr.splitlines()) == 1, done.stderr


def test_preview_urls_and_change_lines() -> None:
    assert preview_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert preview_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"  # every interface: linked through loopback
    assert preview_url("::", 8000) == "http://[::1]:8000/"
    assert preview_url("fe80::1", 81) == "http://[fe80::1]:81/"
    src = Path("site")
    before = {"site/_news/a.md": (1, 1), "site/_news/b.md": (1, 1), "site/_news/c.md": (1, 1)}
    after = {"site/_news/a.md": (2, 2), "site/_news/c.md": (1, 1), "site/_news/d.md": (1, 1)}
    assert changes(before, after, (src,)) == "changed _news/a.md; added _news/d.md; removed _news/b.md"
    many = {f"site/_news/{i}.md": (1, 1) for i in range(6)}
    assert changes({}, many, (src,)) == "added _news/0.md, _news/1.md, _news/2.md, _news/3.md and 2 more"
    one = rebuild_line("changed _news/a.md", 0.123, ["a.xml"])
    assert one == "rebuilt in 0.12 s (changed _news/a.md): 1 file rewritten: a.xml"
    assert rebuild_line("changed _news/a.md", 0.5, []) == "rebuilt in 0.50 s (changed _news/a.md): 0 files rewritten"


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
