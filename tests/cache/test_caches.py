"""The parse and render caches: reruns see edits, deletions and renames, survive a
damaged or outdated cache, and write exactly what a full build writes."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedpub.cache import codec
from feedpub.cache import index as index_mod
from feedpub.cache.parsed import ParseCache
from feedpub.cli import main
from feedpub.collect.encoded import decode, encode
from feedpub.collect.read import read_article
from feedpub.collect.scan import iter_article_files
from feedpub.collect.stream import collect_articles
from feedpub.records import Article, ArticleRef, EncodedArticle, Rejection

TOPICS = ["AI", "Robotics", "Computer Vision", "Ethics"]
# Files written by a test get an mtime this far back, outside the cache's window for
# files modified moments ago (which it re-parses rather than trusts).
PAST = 1_600_000_000


def article(i: int, title: str | None = None) -> str:
    topics = "\n".join(f"  - {t}" for t in (TOPICS[i % 4], TOPICS[(i * 3 + 1) % 4]))
    related = (
        f"""related:
  - title: "Elsewhere {i}"
    webUrl: "https://other.example/{i}"
    publishedDateTime: 2024-03-0{i % 9 + 1}T10:00:00Z
    provider:
      name: Other
      domain: other.example
  - title: "Undated {i}"
    webUrl: "https://third.example/{i}"
"""
        if i % 3
        else ""
    )
    return f"""---
title: "{title or f"Story {i} & more"}"
excerpt: "Excerpt of story {i}."
publishedDateTime: 2024-0{i % 9 + 1}-{i % 27 + 1:02d}T0{i % 10}:30:00+02:00
webUrl: "https://news.example/{i}"
quality: {i * 7 % 100}
provider:
  name: Wire {i % 5}
  domain: wire{i % 5}.example
images:
  - url: "https://img.example/{i}.jpg"
    width: 800
    height: 450
topics:
{topics}
{related}---
Body.
"""


_writes = iter(range(1, 10**9))


def write(path: Path, text: str) -> None:
    """Write a file with an mtime of its own, long ago, as edits at different times get."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    when = PAST * 10**9 + next(_writes) * 1000
    os.utime(path, ns=(when, when))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "site"
    for i in range(40):
        write(src / "_news" / f"story-{i:03d}.md", article(i))
    write(src / "_news" / "broken.md", "---\ntitle: [unclosed\n---\n")
    return src


def build(source: Path, out: Path, *extra: str, cache: Path | None = None, capsys: pytest.CaptureFixture[str]) -> dict:
    args = ["build", "--source", str(source), "--output", str(out), "--json", "--quiet", "--max-items", "10"]
    args += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    assert main([*args, *extra]) == 0
    return json.loads(capsys.readouterr().out)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rerun_uses_cache_and_equals_full_build(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    first = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert first["cache"]["parsed"] == 41 and first["cache"]["hits"] == 0
    again = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert (again["cache"]["hits"], again["cache"]["parsed"]) == (41, 0)
    assert again["cache"]["feeds_rendered"] == 0 and again["output"]["written"] == 0
    # The same report, except that the rejected file is old news now (reported by the first run).
    assert [r.pop("new") for r in first["articles"]["rejected"]] == [True]
    assert [r.pop("new") for r in again["articles"]["rejected"]] == [False]
    assert again["articles"] == first["articles"]
    build(source, tmp_path / "a", capsys=capsys)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_edits_deletions_renames_and_additions(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    build(source, tmp_path / "b", cache=cache, capsys=capsys)
    news = source / "_news"
    write(news / "story-026.md", article(26, title="Edited headline"))  # the newest story
    write(news / "story-012.md", article(12).replace("AI", "Space"))
    (news / "story-020.md").unlink()
    (news / "story-030.md").rename(news / "zz-renamed.md")
    write(news / "story-100.md", article(100))
    write(news / "broken.md", article(41))  # a rejected file fixed
    result = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert result["cache"]["parsed"] == 5 and result["cache"]["hits"] == 36 and result["cache"]["dropped"] == 2
    assert result["articles"]["rejected"] == []
    build(source, tmp_path / "a", capsys=capsys)
    b = tree(tmp_path / "b")
    assert b == tree(tmp_path / "a")
    assert b"Edited headline" in b["all.xml"] and b"Space" in b["index.opml"]
    assert b"news.example/20<" not in b["all.xml"] + b["all.atom"]


def test_archives_and_top_feeds_through_the_caches_equal_a_full_build(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With archives and top stories on, the caches give the bytes of a build without them."""
    config = tmp_path / "extras.yaml"
    config.write_text("archive: {enabled: true, page_size: 4}\ndigest: {enabled: true, days: 3660, items: 3}\n")
    cache = tmp_path / "cache"
    first = build(source, tmp_path / "b", "--config", str(config), cache=cache, capsys=capsys)
    again = build(source, tmp_path / "b", "--config", str(config), cache=cache, capsys=capsys)
    assert again["cache"]["feeds_rendered"] == 0 and again["output"]["written"] == 0
    assert first["cache"]["feeds_rendered"] == again["cache"]["feeds_reused"] > 40  # archive documents included
    news = source / "_news"
    write(news / "story-026.md", article(26, title="Edited headline"))
    write(news / "story-012.md", article(12, title="Another edit"))  # an older story: its archive document changes
    (news / "story-020.md").unlink()
    write(news / "story-100.md", article(100))
    result = build(source, tmp_path / "b", "--config", str(config), cache=cache, capsys=capsys)
    assert 0 < result["cache"]["feeds_rendered"] < result["cache"]["feeds_reused"]
    build(source, tmp_path / "a", "--config", str(config), capsys=capsys)
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert {name: b[name] for name in a if name != ".feedpub-written"} == {n: d for n, d in a.items() if n != ".feedpub-written"}
    assert b"Edited headline" in b["top/all.xml"] + b"".join(d for n, d in b.items() if n.startswith("archive/all/"))
    assert b"Another edit" in b"".join(d for n, d in b.items() if n.startswith("archive/ai/"))


def test_same_size_edit_with_new_mtime_is_seen(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    build(source, tmp_path / "b", cache=cache, capsys=capsys)
    path = source / "_news" / "story-007.md"
    text = path.read_text(encoding="utf-8").replace("Story 7 &", "Tale 7 &")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(PAST * 10**9, PAST * 10**9 + 1))
    result = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert result["cache"]["parsed"] == 1
    assert b"Tale 7 &amp; more" in (tmp_path / "b" / "all.xml").read_bytes()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "records", "feeds", "empty"])
def test_damaged_cache_is_rebuilt_not_trusted(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    cache = tmp_path / "cache"
    build(source, tmp_path / "b", cache=cache, capsys=capsys)
    index = cache / "index.bin"
    if damage == "truncate":
        index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    elif damage == "garbage":
        index.write_bytes(b"\x00not a cache" * 100)
    elif damage == "records":
        for seg in cache.glob("records-*.bin"):
            data = bytearray(seg.read_bytes())
            data[len(data) // 3 : len(data) // 3 + 50] = b"x" * 50
            seg.write_bytes(bytes(data))
    elif damage == "feeds":
        for feed in (cache / "feeds").iterdir():
            feed.write_bytes(feed.read_bytes().replace(b"Story", b"Stale"))
    else:
        shutil.rmtree(cache)
        cache.mkdir()
    shutil.rmtree(tmp_path / "b")
    result = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert len(result["articles"]["rejected"]) == 1
    build(source, tmp_path / "a", capsys=capsys)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert build(source, tmp_path / "b", cache=cache, capsys=capsys)["cache"]["parsed"] == 0


def test_cache_of_another_version_is_dropped(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    # A context of its own: monkeypatch.undo() would also undo the autouse chdir away from
    # the repository, whose config/feedpub.yaml would then apply.
    with monkeypatch.context() as patch:
        patch.setattr(codec, "__version__", "0.0.1")
        build(source, tmp_path / "b", cache=cache, capsys=capsys)
    result = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert result["cache"]["hits"] == 0 and result["cache"]["parsed"] == 41
    monkeypatch.setattr(codec, "FORMAT_VERSION", codec.FORMAT_VERSION + 1)
    assert build(source, tmp_path / "b", cache=cache, capsys=capsys)["cache"]["hits"] == 0


def test_cache_dir_from_config_and_default_beside_output(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "conf" / "feedpub.yaml"
    config.parent.mkdir()
    config.write_text(f"sources: [{source}]\noutput: out\ncache_dir: mycache\n", encoding="utf-8")
    assert main(["build", "--config", str(config), "--quiet"]) == 0
    assert (tmp_path / "conf" / "mycache" / "index.bin").is_file()
    assert main(["check", "--source", str(source), "--quiet", "--cache-dir", str(tmp_path / "c2")]) == 1
    assert (tmp_path / "c2" / "index.bin").is_file()
    out = tmp_path / "x" / "output"
    assert main(["build", "--source", str(source), "--output", str(out), "--quiet"]) == 0
    assert (tmp_path / "x" / ".feedpub-cache" / "index.bin").is_file()
    capsys.readouterr()


def test_no_cache_leaves_no_cache(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = build(source, tmp_path / "o" / "out", capsys=capsys)
    assert result["cache"] is None
    assert not (tmp_path / "o" / ".feedpub-cache").exists()


def test_records_survive_the_cache_unchanged(source: Path) -> None:
    for path in sorted((source / "_news").glob("story-*.md")):
        a = read_article(path)
        assert isinstance(a, Article)
        encoded = encode(a)
        assert isinstance(encoded, EncodedArticle)
        assert decode(a.path, encoded.blob) == a
    odd = Article(path="p", title="t", url="https://x.example/", published_at=datetime(1901, 1, 1, tzinfo=UTC), quality=2.5)
    encoded = encode(odd)
    assert isinstance(encoded, EncodedArticle)
    assert decode("p", encoded.blob) == odd


def test_parallel_parse_equals_sequential(source: Path, tmp_path: Path) -> None:
    files = list(iter_article_files([source]))
    sequential = list(collect_articles(files, None, workers=1))
    parallel = list(collect_articles(files, None, workers=2, parallel_above=0))
    assert parallel == sequential and len(sequential) == 41
    assert [r.path for r in sequential] == sorted(r.path for r in sequential)
    # Through the cache, in parallel: references to the same records, with their selection fields.
    cache = ParseCache(tmp_path / "c")
    refs = list(collect_articles(files, cache, workers=2, parallel_above=0))
    assert not any(isinstance(r, Article) for r in refs)
    full = [cache.full(r) if isinstance(r, ArticleRef) else r for r in refs]
    assert full == sequential
    assert [(r.url, r.published_at, r.quality, r.topics) for r in refs if isinstance(r, ArticleRef)] == [
        (a.url, a.published_at, a.quality, a.topics) for a in sequential if isinstance(a, Article)
    ]


def test_reused_selection_follows_rules_and_due_dates(source: Path, tmp_path: Path) -> None:
    """A no-change run reuses the last selection only while it is still the right one."""
    from datetime import timedelta

    from feedpub import build as builder
    from feedpub.config import Config

    def run(out: str, now: datetime, max_items: int = 10, cache: bool = True) -> dict:
        config = Config(sources=(source,), output=tmp_path / out, cache_dir=tmp_path / "cache")
        result = builder.run(config, builder.Overrides(max_items=max_items), now, use_cache=cache)
        return builder.summary(result)

    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    due = now + timedelta(seconds=2)
    text = article(99, "Falls due soon").replace("2024-01-19T09:30:00+02:00", due.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text = text.replace("quality: 93", "quality: 99")
    assert due.strftime("%Y-%m-%dT%H:%M:%SZ") in text
    write(source / "_news" / "soon.md", text)
    first = run("b", now)
    assert first["articles"]["held_back"].get("future") == 1
    # Other rules, same files: the stored selection must not be used.
    run("b", now, max_items=3)
    run("a", now, max_items=3, cache=False)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    again = run("b", now + timedelta(seconds=1))
    assert again["articles"]["held_back"].get("future") == 1 and again["cache"]["parsed"] == 0
    due_run = run("b", due)
    assert due_run["articles"]["held_back"]["future"] == 0
    shutil.rmtree(tmp_path / "a")
    run("a", due, cache=False)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert b"Falls due soon" in b"".join(tree(tmp_path / "b").values())


def test_a_damaged_block_of_the_index_loses_only_its_entries(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_mod, "_BLOCK_ENTRIES", 8)  # 41 files: six blocks
    cache = tmp_path / "cache"
    build(source, tmp_path / "b", cache=cache, capsys=capsys)
    (cache / "selection.bin").unlink()
    index = cache / "index.bin"
    data = bytearray(index.read_bytes())
    data[len(data) * 3 // 5] ^= 0xFF  # one flipped byte in a middle block
    index.write_bytes(bytes(data))
    result = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    hits, parsed = result["cache"]["hits"], result["cache"]["parsed"]
    assert 8 <= hits < 41 and hits + parsed == 41  # the blocks before the damage still count
    build(source, tmp_path / "a", capsys=capsys)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert build(source, tmp_path / "b", cache=cache, capsys=capsys)["cache"]["parsed"] == 0


def test_an_unchanged_rerun_leaves_the_index_as_it_is(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    build(source, tmp_path / "b", cache=cache, capsys=capsys)
    before = (cache / "index.bin").stat()
    (cache / "selection.bin").unlink()  # so this run reads the whole index beside the scan
    again = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert (again["cache"]["hits"], again["cache"]["parsed"], again["cache"]["dropped"]) == (41, 0, 0)
    after = (cache / "index.bin").stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert not list(cache.glob(".index.bin.*"))


def test_record_files_stay_bounded_over_many_edits(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    build(source, tmp_path / "b", cache=cache, capsys=capsys)
    first = sum(p.stat().st_size for p in cache.glob("records-*.bin"))
    for run in range(12):
        # Each run edits file `run` once and for all, and files 12 to 39 again: every
        # run's record file keeps one live record among 28 dead ones.
        for i in [run, *range(12, 40)]:
            write(source / "_news" / f"story-{i:03d}.md", article(i, title=f"Run {run} story {i}"))
        result = build(source, tmp_path / "b", cache=cache, capsys=capsys)
        assert result["cache"]["parsed"] == 29
        segments = list(cache.glob("records-*.bin"))
        assert len(segments) <= 16
        assert sum(p.stat().st_size for p in segments) <= 2.5 * first
    assert not list(cache.glob(".index.bin.*"))
    build(source, tmp_path / "a", capsys=capsys)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert b"Run 11 story" in b"".join(tree(tmp_path / "b").values())


def test_lookups_out_of_the_index_order_are_only_misses(source: Path, tmp_path: Path) -> None:
    files = list(iter_article_files([source]))  # path order: the reverse of the index's
    first = ParseCache(tmp_path / "c")
    for f in files[::-1]:
        first.store(*f, encode(read_article(Path(f[0]))))
    first.save()
    second = ParseCache(tmp_path / "c")
    got = list(collect_articles(files, second, workers=1))
    assert second.hits <= 1 and second.hits + second.parsed == 41
    # A rejection found in the cache is the same one, marked as reported before (known).
    fresh = [read_article(Path(f[0])) for f in files]
    unmarked = [Rejection(a.path, a.reason) if isinstance(a, Rejection) else a for a in got]
    assert [second.full(a) if isinstance(a, ArticleRef) else a for a in unmarked] == fresh


def test_a_rerun_holds_no_entry_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Memory of a rerun follows the index's block size, not the archive: three times the
    files, the same peak (an index held whole takes about 1 KB more per file)."""
    import tracemalloc

    def rerun_peak(n: int) -> int:
        src = tmp_path / f"site-{n}"
        for i in range(n):
            write(src / f"{i // 100:03d}" / f"story-{i:05d}.md", article(i))
        build(src, tmp_path / f"out-{n}", cache=tmp_path / f"cache-{n}", capsys=capsys)
        for i in range(0, n, 100):  # 1% edited
            write(src / f"{i // 100:03d}" / f"story-{i:05d}.md", article(i, title="Edited"))
        tracemalloc.start()
        try:
            result = build(src, tmp_path / f"out-{n}", cache=tmp_path / f"cache-{n}", capsys=capsys)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (result["cache"]["hits"], result["cache"]["parsed"]) == (n - n // 100, n // 100)
        return peak

    small, large = rerun_peak(1500), rerun_peak(4500)
    assert large - small < 500_000, (small, large)


def test_a_large_cold_build_and_a_one_percent_edit_equal_full_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Enough files to be parsed by worker processes and this one together, then 1% edited."""
    news = tmp_path / "site" / "_news"
    count = 1_200
    for i in range(count):
        write(news / f"2024-{i:05d}-story.md", article(i))
    cache = tmp_path / "cache"
    cold = build(tmp_path / "site", tmp_path / "b", cache=cache, capsys=capsys)
    assert (cold["cache"]["parsed"], cold["articles"]["read"]) == (count, count)
    build(tmp_path / "site", tmp_path / "a", capsys=capsys)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    # Every 100th file: another title, quality and date (the newest now), as a cron run after a day's edits sees.
    for i in range(0, count, 100):
        text = article(i, title=f"Edited {i}").replace(f"quality: {i * 7 % 100}\n", "quality: 99\n")
        text = re.sub(r"publishedDateTime: .*", f"publishedDateTime: 2024-12-{i // 100 + 1:02d}T00:00:00Z", text, count=1)
        write(news / f"2024-{i:05d}-story.md", text)
    edit = build(tmp_path / "site", tmp_path / "b", cache=cache, capsys=capsys)
    assert (edit["cache"]["parsed"], edit["cache"]["hits"]) == (12, count - 12)
    assert edit["cache"]["feeds_rendered"] > 0
    shutil.rmtree(tmp_path / "a")
    build(tmp_path / "site", tmp_path / "a", capsys=capsys)
    b = tree(tmp_path / "b")
    assert b == tree(tmp_path / "a")
    assert b"Edited 1100" in b["all.xml"]


def test_a_rerun_after_an_edit_checks_the_stored_selection_only_up_to_the_edit(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from feedpub import build_select
    from feedpub.cache.selection import SelectionSnapshot
    from feedpub.collect.scan import Tally

    monkeypatch.setattr(Tally, "MARK_EVERY", 4)  # 41 files: ten marks
    counted: list[int] = []

    def scan_digest(sources: list[Path], pattern: str, *, expect: list[bytes] | None = None) -> Tally:
        tally = real_scan_digest(sources, pattern, expect=expect)
        counted.append(tally.count)
        return tally

    real_scan_digest = build_select.scan_digest
    monkeypatch.setattr(build_select, "scan_digest", scan_digest)
    cache = tmp_path / "cache"
    build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert counted == [] and len(SelectionSnapshot(cache).marks() or []) == 10
    unchanged = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert counted == [41] and unchanged["cache"]["feeds_rendered"] == 0  # the whole scan, and the selection reused
    # Names are scanned newest (last) first: a change to the last name ends the check in the first block.
    write(source / "_news" / "story-039.md", article(39, title="Edited headline"))
    edited = build(source, tmp_path / "b", cache=cache, capsys=capsys)
    assert counted[1] <= 4 and (edited["cache"]["parsed"], edited["cache"]["hits"]) == (1, 40)
    build(source, tmp_path / "a", capsys=capsys)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
