"""Archived feeds (RFC 5005 §4) and top-stories feeds, built for real and read back.

A reader that walks the archive from the subscription feed finds every article the
topic's rules let in exactly once; full archive documents never change; every file
written passes the validator's rules (tests/feedcheck.py); a cached build writes what
a build without caches writes.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from feedpub.build import Overrides, run
from feedpub.config import load_config
from feedpub.progress import Progress
from feedpub.records import ExtraFiles

from .feedcheck import FH, check_feed

NOW = datetime(2025, 4, 1, tzinfo=UTC)
BASE = "https://feeds.test/news/"
PAST = 1_600_000_000  # file mtimes far back: outside the parse cache's window for files written moments ago

CONFIG = """
site: {{title: Test News, link: https://site.test/, base_url: "{base}", logo: https://site.test/logo.png}}
sources: [site]
output: out
cache_dir: cache
selection: {{min_quality: 30, max_items: 2, max_age_days: 10}}
archive: {{enabled: true, page_size: 3}}
digest: {{enabled: true, days: 10, items: 3}}
websub: {{hubs: ["https://hub.test/"]}}
{more}
"""


def story(name: str, day: int, *, quality: int = 60, published: bool = True, topics: str = "Robots", url: str = "") -> str:
    return f"""---
title: "Story {name}"
excerpt: "About {name}."
publishedDateTime: 2025-{"03" if day > 0 else "02"}-{day if day > 0 else 28:02d}T{day % 24:02d}:00:00Z
webUrl: "{url or f"https://news.test/{name}"}"
quality: {quality}
published: {"true" if published else "false"}
topics: [{topics}]
images:
  - url: "https://img.test/{name}.jpg"
---
"""


_mtimes = iter(range(1, 10**9))


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    when = PAST * 10**9 + next(_mtimes) * 1000
    os.utime(path, ns=(when, when))


QUALIFYING = [f"https://news.test/s{i}" for i in range(1, 9)]
"""The Robots articles the rules let in: eight, two of them young enough for the 10-day feed."""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    news = tmp_path / "site" / "_news"
    for i in range(1, 9):
        write(news / f"s{i}.md", story(f"s{i}", 20 + i, quality=40 + i * 5))
    write(news / "older-copy-of-s3.md", story("copy", 2, url="https://news.test/s3"))  # the same URL, older: once
    write(news / "draft.md", story("draft", 15, published=False))
    write(news / "weak.md", story("weak", 16, quality=10))
    write(news / "space.md", story("space", 17, topics="Space"))
    future = story("future", 1).replace("2025-03-01", "2025-05-01")
    write(news / "future.md", future)
    write(tmp_path / "feedpub.yaml", CONFIG.format(base=BASE, more=""))
    return tmp_path


def build(root: Path, *, cache: bool = True, out: str = "out", config: str = "feedpub.yaml") -> list[str]:
    """Build at NOW; the names written (not those left as they were)."""
    cfg = replace(load_config(root / config), output=root / out)
    result = run(cfg, Overrides(), NOW, use_cache=cache)
    assert result.written is not None
    return sorted(result.written.uploaded)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def local(out: Path, url: str) -> Path:
    assert url.startswith(BASE), url
    return out / url[len(BASE) :]


def link(feed: feedparser.FeedParserDict, rel: str) -> str | None:
    found = [x.href for x in feed.feed.get("links", []) if x.get("rel") == rel]
    assert len(found) <= 1, (rel, found)
    return found[0] if found else None


def walk(out: Path, slug: str, ext: str) -> list[str]:
    """Follow prev-archive from the subscription feed to the oldest document: the ids of
    every archive document's entries, newest document first; checks every link on the way."""
    current = BASE + slug + ext
    feed = feedparser.parse(local(out, current).read_bytes())
    url = link(feed, "prev-archive")
    assert url is not None, "the subscription feed links its newest archive document"
    seen: list[str] = []
    newer: str | None = None
    while url is not None:
        data = local(out, url).read_bytes()
        doc = feedparser.parse(data)
        assert not doc.bozo, doc.get("bozo_exception")
        assert len(etree.fromstring(data).findall(f".//{{{FH}}}archive")) == 1, "marked as an archive document"
        assert link(doc, "self") == url and link(doc, "current") == current
        assert link(doc, "next-archive") == newer
        assert "hub" not in {x.get("rel") for x in doc.feed.links}, "a static document announces no hub"
        seen += [e.id for e in doc.entries]
        newer, url = url, link(doc, "prev-archive")
    return seen


@pytest.mark.parametrize("ext", [".atom", ".xml"])
def test_the_archive_chain_holds_every_qualifying_article_once(site: Path, ext: str) -> None:
    build(site)
    out = site / "out"
    ids = walk(out, "robots", ext)
    assert sorted(ids) == sorted(QUALIFYING) and len(ids) == len(set(ids))
    # max_items (2) and max_age_days (10) cut the subscription feed, not the archive.
    subscription = feedparser.parse((out / f"robots{ext}").read_bytes())
    assert [e.id for e in subscription.entries] == ["https://news.test/s8", "https://news.test/s7"]
    # Pages of three from the oldest: [s1 s2 s3] [s4 s5 s6] [s7 s8], newest first in each.
    assert sorted(p.name for p in (out / "archive" / "robots").iterdir()) == [
        f"{n}{e}" for n in (1, 2, 3) for e in (".atom", ".xml")
    ]
    first = feedparser.parse((out / "archive" / "robots" / f"1{ext}").read_bytes())
    assert [e.id for e in first.entries] == [f"https://news.test/s{i}" for i in (3, 2, 1)]
    # The site-wide feed has an archive too: the Robots articles and the Space one.
    assert sorted(walk(out, "all", ext)) == sorted([*QUALIFYING, "https://news.test/space"])


def test_every_file_written_passes_the_validator_rules(site: Path) -> None:
    build(site)
    out = site / "out"
    files = tree(out)
    feeds = [name for name in files if name.rsplit(".", 1)[-1] in ("xml", "atom", "json")]
    assert {"robots.xml", "archive/robots/1.atom", "top/robots.json", "top/all.xml"} <= set(feeds)
    for name in feeds:
        assert check_feed(name, files[name]) == [], name
    assert not any(n.startswith("archive/") and n.endswith(".json") for n in feeds), "archives: RSS and Atom only"
    # One Space article: a chain of two all the same (a lone archive document has no archive link).
    assert sorted(n for n in files if n.startswith("archive/space/")) == [
        "archive/space/1.atom",
        "archive/space/1.xml",
        "archive/space/2.atom",
        "archive/space/2.xml",
    ]
    assert walk(out, "space", ".atom") == ["https://news.test/space"]


def full_documents(files: dict[str, bytes]) -> set[str]:
    """The archive documents holding a whole page (three articles)."""
    return {n for n, data in files.items() if n.startswith("archive/") and len(feedparser.parse(data).entries) == 3}


def newest_documents(files: dict[str, bytes]) -> set[str]:
    """Each feed's newest archive document, in each format."""
    newest: dict[str, int] = {}
    for name in files:
        if name.startswith("archive/"):
            folder, _, file = name.rpartition("/")
            newest[folder] = max(newest.get(folder, 0), int(file.split(".")[0]))
    return {f"{folder}/{n}{ext}" for folder, n in newest.items() for ext in (".atom", ".xml")}


def test_a_new_article_changes_only_the_newest_archive_document(site: Path) -> None:
    build(site)
    out = site / "out"
    for i in (9, 10, 11):  # the third fills robots' last page, the fourth the site feed's
        before = tree(out)
        write(site / "site" / "_news" / f"s{i}.md", story(f"s{i}", 20 + i, quality=45))
        written = build(site)
        after = tree(out)
        archive = {n for n in written if n.startswith("archive/")}
        new = set(after) - set(before)
        assert archive - new <= newest_documents(before), "only a feed's newest document is rewritten"
        assert archive - new, "the newest document takes the new article (or links to the new, empty one)"
        for name in full_documents(before):
            assert after[name] == before[name], name  # a full document: the same bytes, not written again
        assert "robots.atom" in written and "archive/space/1.atom" not in written
        ids = walk(out, "robots", ".atom")
        assert sorted(ids) == sorted([*QUALIFYING, *(f"https://news.test/s{n}" for n in range(9, i + 1))])
    # Eleven articles: [1-3] [4-6] [7-9] [10 11]; nine had [7-9] full and an empty fourth page.
    full = {f"archive/{f}/{n}{e}" for f in ("all", "robots") for n in (1, 2, 3) for e in (".atom", ".xml")}
    assert full_documents(tree(out)) == full | {"archive/all/4.atom", "archive/all/4.xml"}


def test_cached_builds_write_what_an_uncached_build_writes(site: Path) -> None:
    build(site)
    news = site / "site" / "_news"
    write(news / "s9.md", story("s9", 29, quality=99))  # a new best story
    write(news / "s4.md", story("s4", 24, quality=10))  # falls below min_quality: boundaries move
    (news / "s6.md").unlink()
    assert build(site) != []
    assert build(site) == []  # nothing changed: nothing written
    build(site, cache=False, out="fresh")
    cached, fresh = tree(site / "out"), tree(site / "fresh")
    del cached[".feedpub-written"], fresh[".feedpub-written"]
    # Two articles fewer: the last page of a feed is gone, and left in the folder (as a
    # topic's feeds are when it disappears; publish.delete_stale removes them, below).
    assert {n: cached[n] for n in fresh} == fresh
    assert set(cached) - set(fresh) == {"archive/all/4.atom", "archive/all/4.xml"}


def test_a_shrinking_archive_with_delete_stale_leaves_no_document_behind(s3_env, bucket: str, site: Path) -> None:
    """The folder target and S3 alike: the unlinked last document goes, the chain stays whole."""
    from feedpub.build_publish import publish

    more = "publish: {delete_stale: true}"
    write(site / "feedpub.yaml", CONFIG.format(base=BASE, more=more))
    cfg = replace(load_config(site / "feedpub.yaml"), output=site / "out")
    targets = (str(site / "out"), f"s3://{bucket}/news/")
    for target in targets:
        publish(cfg, Overrides(), NOW, target=target)
    assert (site / "out" / "archive" / "all" / "4.xml").exists()
    news = site / "site" / "_news"
    write(news / "s4.md", story("s4", 24, quality=10))  # below min_quality now
    (news / "s6.md").unlink()
    gone = ("archive/all/4.atom", "archive/all/4.xml")
    for target in targets:
        result = publish(cfg, Overrides(), NOW, target=target)
        assert result.published is not None and result.published.failure is None
        assert result.published.result.deleted == gone, target
    listed = s3_env.client().list_objects_v2(Bucket=bucket, Prefix="news/")
    keys = {o["Key"].removeprefix("news/") for o in listed["Contents"]} - {".feedpub-manifest.json"}
    assert keys == set(tree(site / "out")) - {".feedpub-written"}, "the bucket holds what the folder holds"
    assert not any(name in keys for name in gone)
    left = [u for u in QUALIFYING if not u.endswith(("/s4", "/s6"))] + ["https://news.test/space"]
    assert sorted(walk(site / "out", "all", ".xml")) == sorted(left)  # every article once, in three documents


def test_top_stories_by_quality_then_date_then_url(site: Path) -> None:
    news = site / "site" / "_news"
    write(news / "tie-b.md", story("tie-b", 27, quality=90))
    write(news / "tie-a.md", story("tie-a", 27, quality=90))
    write(news / "old-best.md", story("old-best", 12, quality=100))  # outside the 10-day window
    build(site)
    top = feedparser.parse((site / "out" / "top" / "robots.atom").read_bytes())
    assert [e.id for e in top.entries] == ["https://news.test/tie-a", "https://news.test/tie-b", "https://news.test/s8"]
    assert top.feed.title == "Test News: Robots, top stories"
    opml = (site / "out" / "index.opml").read_text(encoding="utf-8")
    assert f'xmlUrl="{BASE}top/robots.xml"' in opml and f'xmlUrl="{BASE}all.xml"' in opml
    first = tree(site / "out")
    build(site, cache=False, out="again")
    assert tree(site / "again") == first  # deterministic for the same articles and clock


def test_off_by_default_no_archive_no_top_and_no_links(site: Path) -> None:
    write(site / "plain.yaml", "site: {base_url: 'https://feeds.test/news/'}\nsources: [site]\n")
    build(site, config="plain.yaml", out="plain")
    files = tree(site / "plain")
    assert not any(n.startswith(("archive/", "top/")) for n in files)
    assert b"prev-archive" not in files["robots.atom"] + files["robots.xml"]


def test_each_feed_tells_its_extra_files_and_when_its_top_stories_change(site: Path) -> None:
    from feedpub.build import rules_for
    from feedpub.build_select import collect_and_select

    config = replace(load_config(site / "feedpub.yaml"), output=site / "out")
    selected = collect_and_select(config, rules_for(config, Overrides()), NOW, None, Progress(enabled=False), lambda _: None)
    files = selected.extras.files_of("robots", config.formats)
    assert files.archive == tuple(f"archive/robots/{n}{e}" for n in (1, 2, 3) for e in (".xml", ".atom"))
    assert files.top == ("top/robots.xml", "top/robots.atom", "top/robots.json")
    assert selected.extras.files_of("robots", ("json",)) == ExtraFiles((), ("top/robots.json",))
    # The oldest article in a 10-day window (s2, 22 March 22:00) leaves it ten days later.
    assert selected.valid_until == datetime(2025, 4, 1, 22, tzinfo=UTC)


def test_json_report_lists_every_file_of_each_feed(site: Path) -> None:
    """``--json`` ``topics[].files``: a script finds every file of a feed, archives and top stories included."""
    from feedpub.build import summary

    cfg = replace(load_config(site / "feedpub.yaml"), output=site / "out")
    topics = summary(run(cfg, Overrides(), NOW))["topics"]
    files = {t["slug"]: t["files"] for t in topics}
    robots = ["robots.xml", "robots.atom", "robots.json"]
    robots += [f"archive/robots/{n}{e}" for n in (1, 2, 3) for e in (".xml", ".atom")]
    assert files["robots"] == [*robots, "top/robots.xml", "top/robots.atom", "top/robots.json"]
    assert files["space"][-2:] == ["top/space.atom", "top/space.json"]
    listed = [name for names in files.values() for name in names]
    written = set(tree(site / "out")) - {".feedpub-written", "index.opml", "index.html"}
    assert sorted(listed) == sorted(written), "each file written is listed once, under its feed"


def test_the_validator_rules_catch_what_the_validator_reports(site: Path) -> None:
    """The checks above can fail: each breakage the W3C validator reports is found."""
    build(site)
    files = tree(site / "out")
    middle = files["archive/robots/2.atom"]
    assert check_feed("2.atom", middle) == []
    lone = middle.replace(b'rel="prev-archive"', b'rel="alternate"').replace(b'rel="next-archive"', b'rel="related"')
    assert any("Archive incomplete" in p for p in check_feed("2.atom", lone))
    assert any("unknown link relation" in p for p in check_feed("2.atom", middle.replace(b'"prev-archive"', b'"prev-archives"')))
    rss = files["robots.xml"]
    assert any("enclosure" in p for p in check_feed("robots.xml", rss.replace(b'length="0"', b'length="None"')))
    assert any("RFC 822" in p for p in check_feed("robots.xml", rss.replace(b"+0000</pubDate>", b"UTC</pubDate>")))
    top = files["top/robots.json"]
    assert any("hub" in p for p in check_feed("t.json", top.replace(b'"url": "https://hub.test/"', b'"uri": "x"')))


def test_the_shipped_example_with_every_extra_passes_the_validator_rules(tmp_path: Path) -> None:
    """``feedpub build`` on the shipped config (archives on), with top stories, a favicon, a
    logo and a hub turned on too: every feed file passes the validator's rules."""
    import subprocess
    import sys

    from .conftest import REPO

    env = {
        **os.environ,
        "FEEDPUB_SITE_BASE_URL": "https://feeds.example.org/news/",
        "FEEDPUB_SITE_FAVICON": "https://news.example.org/favicon.png",
        "FEEDPUB_SITE_LOGO": "https://news.example.org/logo.png",
        "FEEDPUB_WEBSUB_HUBS": "[https://hub.example.org/]",
        "FEEDPUB_DIGEST_ENABLED": "true",
        "FEEDPUB_DIGEST_DAYS": "3660",
    }
    out = tmp_path / "out"
    command = ["build", "--config", str(REPO / "config" / "feedpub.yaml"), "--output", str(out), "--no-cache", "-q"]
    p = subprocess.run([sys.executable, "-m", "feedpub", *command], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    files = tree(out)
    feeds = [n for n in files if n.endswith((".xml", ".atom", ".json"))]
    assert {"all.atom", "archive/all/1.atom", "archive/climate/2.xml", "top/all.json", "top/climate.xml"} <= set(feeds)
    for name in feeds:
        assert check_feed(name, files[name]) == [], name
    assert b"<icon>https://news.example.org/favicon.png</icon>" in files["archive/all/1.atom"]
    assert json.loads(files["top/climate.json"])["favicon"] == "https://news.example.org/favicon.png"
