"""Empty feeds are never silent, and nothing to publish never empties the published feeds.

A ``max_age_days`` that holds everything back says so (one line, the reason counts;
``--strict`` fails) and the directory page says why each topic is empty. A source
folder with no article file (a volume that failed to mount under cron) or a collection
where every file is rejected writes nothing and exits 2: the last good feeds stay, and
the next run with the files back is a normal, cached build equal to a clean one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from feedpub import build
from feedpub.build import Overrides
from feedpub.build_report import nothing_selected
from feedpub.config import Config, Site
from feedpub.errors import ConfigError
from feedpub.select import Rules

from .conftest import FIXTURE_SITE
from .processes import free_port
from .test_build import NOW, tree, write, write_file

KEPT = "nothing written, the last feeds are kept"


def feedpub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A real run, as cron starts it: stdout and stderr are pipes."""
    return subprocess.run([sys.executable, "-m", "feedpub", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime: a folder left alone keeps both."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))


def test_max_age_holding_everything_back_says_why(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "feedpub.yaml"
    config.write_text("selection:\n  max_age_days: 7\nsite:\n  base_url: https://f.test/\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["build", "--config", str(config), "--source", str(site), "--output", str(out)]
    p = feedpub(*args, cwd=tmp_path)  # the fixture's articles are from March 2025: all too old
    assert p.returncode == 0, p.stderr
    warning = "feedpub: no article selected for any feed: 1 unpublished, 2 too old (max_age_days 7), 1 rejected"
    assert p.stderr.splitlines() == [f"feedpub: skipped {site}/_news/2025-03-04-broken.md: missing required field "
                                     "'webUrl' (or 'originalUrl')", warning]  # fmt: skip
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count('<p class="meta">No articles in the last 7 days</p>') == 3  # Home, Robots, All topics
    assert "No articles yet" not in page
    # The warning is not old news: every run says it (the broken file was told once).
    again = feedpub(*args, cwd=tmp_path)
    assert again.returncode == 0 and again.stderr.splitlines() == [warning]
    strict = feedpub(*args, "--strict", "--json", cwd=tmp_path)
    assert strict.returncode == 1
    report = json.loads(strict.stdout)
    assert report["status"] == 1 and report["error"] is None
    assert warning.removeprefix("feedpub: ") in report["warnings"]
    assert [t["items"] for t in report["topics"]] == [0, 0, 0] and [t["newest"] for t in report["topics"]] == [None] * 3
    assert report["topics"][1]["held_back"] == {"unpublished": 1, "future": 0, "too_old": 2, "below_quality": 0}


def test_each_empty_topic_says_why_on_the_directory_page(tmp_path: Path) -> None:
    news = tmp_path / "site" / "_news"
    write(news / "arm.md", "Robot arm", NOW - timedelta(days=2), quality=40)
    write(news / "probe.md", "Space probe", NOW - timedelta(days=40), topics="Space", quality=90)
    write(news / "later.md", "Later", NOW + timedelta(days=1), topics="Lunar")
    write(news / "now.md", "Today", NOW - timedelta(hours=1), topics="Ocean", quality=80)
    config = Config(
        sources=(tmp_path / "site",), output=tmp_path / "out", cache_dir=tmp_path / "cache",
        site=Site(base_url="https://feeds.test/"), defaults=Rules(min_quality=50, max_age=timedelta(days=30)),
    )  # fmt: skip
    result = build.run(config, Overrides(), NOW)
    page = (config.output / "index.html").read_text(encoding="utf-8")
    cards = {card.split('id="', 1)[1].split('"', 1)[0]: card for card in page.split('<li class="topic"')[1:]}
    assert "No articles with quality ≥ 50 yet" in cards["robots"]
    assert "No articles in the last 30 days" in cards["space"]
    assert "No articles due yet" in cards["lunar"]
    assert "1 article" in cards["ocean"] and "No articles" not in cards["ocean"]
    assert nothing_selected(result.selected, result.read) is None  # one feed has an item: no warning


def test_a_source_with_no_article_files_keeps_the_last_feeds(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["build", "--source", str(site), "--output", str(out), "--base-url", "https://f.test/", "--quiet"]
    assert feedpub(*args, cwd=tmp_path).returncode == 0
    before = state(out)
    # The volume fails to mount: its mount point is an empty folder.
    shutil.move(site, tmp_path / "away")
    site.mkdir()
    p = feedpub(*args, "--json", cwd=tmp_path)
    message = f"no article files found in {site} (pattern *.md); {KEPT}"
    assert p.returncode == 2 and p.stderr == f"feedpub: error: {message}\n"
    report = json.loads(p.stdout)
    assert report["error"] == {"message": message, "exit_status": 2} and report["status"] == 2
    assert report["articles"] is None and report["output"] is None
    assert state(out) == before  # not a byte, not an mtime
    for command in (["check"], ["topics"]):
        other = feedpub(*command, "--source", str(site), cwd=tmp_path)
        assert other.returncode == 2 and other.stderr == f"feedpub: error: {message}\n"
    target = tmp_path / "public"
    shutil.copytree(out, target)
    p = feedpub("publish", "--source", str(site), "--target", str(target), "--base-url", "https://f.test/", cwd=tmp_path)
    assert p.returncode == 2 and state(target) == state(out)
    # Mounted again: the caches were left as they were, and the output is a clean build's.
    site.rmdir()
    shutil.move(tmp_path / "away", site)
    p = feedpub(*args[:-1], "--json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["cache"]["parsed"] == 0
    clean = feedpub(*args, "--no-cache", "--output", str(tmp_path / "clean"), cwd=tmp_path)
    assert clean.returncode == 0 and tree(out) == tree(tmp_path / "clean")
    assert state(out) == before


def test_one_empty_source_of_two_is_named(site: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("not an article\n", encoding="utf-8")
    out = tmp_path / "out"
    p = feedpub("build", "--source", str(site), "--source", str(other), "--output", str(out), "--quiet", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [f"feedpub: error: no article files found in {other} (pattern *.md); {KEPT}"]
    assert not out.exists()


def test_every_file_rejected_keeps_the_last_feeds(tmp_path: Path) -> None:
    news = tmp_path / "site" / "_news"
    write(news / "arm.md", "Robot arm", NOW - timedelta(days=2))
    config = Config(sources=(tmp_path / "site",), output=tmp_path / "out", cache_dir=tmp_path / "cache")
    build.run(config, Overrides(), NOW)
    before = state(config.output)
    write_file(news / "arm.md", "---\ntitle: [unclosed\n---\n")  # the scraper broke
    rejected: list[str] = []
    with pytest.raises(ConfigError, match="none of the 1 article files could be used"):
        build.run(config, Overrides(), NOW, on_rejection=lambda r: rejected.append(Path(r.path).name))
    assert rejected == ["arm.md"]  # told why first
    assert state(config.output) == before


def test_no_feed_is_dated_1970_when_no_article_is_due(tmp_path: Path) -> None:
    news = tmp_path / "site" / "_news"
    write(news / "later.md", "Later story", NOW + timedelta(days=3))
    config = Config(
        sources=(tmp_path / "site",), output=tmp_path / "out", cache_dir=tmp_path / "cache", site=Site(base_url="https://f.test/")
    )
    warnings: list[str] = []
    build.run(config, Overrides(), NOW, warn=warnings.append)
    assert warnings == ["no article selected for any feed: 1 not yet due"]
    files = tree(config.output)
    assert not any(b"1970" in data for data in files.values())
    assert b"<lastBuildDate>Sat, 01 Jan 2000 00:00:00 +0000</lastBuildDate>" in files["all.xml"]
    assert b"<updated>2000-01-01T00:00:00+00:00</updated>" in files["robots.atom"]
    assert b"<dateModified>Sat, 01 Jan 2000 00:00:00 +0000</dateModified>" in files["index.opml"]
    assert b'<time datetime="2000-01-01T00:00:00Z">1 Jan 2000</time>' in files["index.html"]
    assert b"No articles due yet" in files["index.html"]


def test_serve_keeps_serving_the_last_build_when_a_rebuild_has_nothing(site: Path, tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedpub", "serve", "--source", str(site), "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or ()), daemon=True)
    reader.start()

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 60  # generous: only proves the watcher went on
        while not any(text in line for line in lines) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)

    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for("serving http://")
        first = requests.get(base + "robots.xml", timeout=5)
        assert first.status_code == 200
        for path in (site / "_news").iterdir():
            path.unlink()
        wait_for("still serving the last build")
        assert requests.get(base + "robots.xml", timeout=5).content == first.content
        assert proc.poll() is None  # the preview and its watcher go on
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        reader.join(timeout=10)
    failed = [line for line in lines if "still serving the last build" in line]
    assert failed and f"no article files found in {site} (pattern *.md)" in failed[0]
    assert not any("Traceback" in line for line in lines)
