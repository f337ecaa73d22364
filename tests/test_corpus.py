"""Integration: the whole shared corpus of real article files, read back with feedparser."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import feedparser
import yaml

CORRUPT = "2020-12-01-project-innereye"


def build(corpus: Path, out: Path, *extra: str) -> dict:
    args = [
        sys.executable,
        "-m",
        "feedpub",
        "build",
        "--source",
        str(corpus / "power-apps"),
        "--source",
        str(corpus / "artificial-intelligence"),
        "--source",
        str(corpus / "seed"),
        "--output",
        str(out),
        "--base-url",
        "https://feeds.example.org/",
        "--min-quality",
        "0",
        "--include-unpublished",
        "--json",
        *extra,
    ]
    p = subprocess.run(args, capture_output=True, text=True, cwd=out.parent, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    return json.loads(p.stdout)


def defined_topics(corpus: Path) -> set[str]:
    slugs = set()
    for path in corpus.glob("*/_data/topics/*.yaml"):
        doc = next(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
        slugs.add(doc["_id"])
    return slugs


def test_whole_corpus(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = build(corpus, out, "--max-items", "1000")
    arts = summary["articles"]
    assert arts["read"] == 319
    assert [Path(r["path"]).name[:27] for r in arts["rejected"]] == [CORRUPT]
    assert arts["accepted"] == 318 and set(arts["held_back"].values()) == {0}

    slugs = {t["slug"] for t in summary["topics"]}
    assert defined_topics(corpus) | {"all"} == slugs  # every defined topic, used or not
    site = next(t for t in summary["topics"] if t["slug"] == "all")
    # Everything but the corrupt file is published: 318 files, one URL shared by two.
    assert site["items"] == 317

    for slug in slugs:
        for ext in ("xml", "atom"):
            feed = feedparser.parse((out / f"{slug}.{ext}").read_bytes())
            assert not feed.bozo, (slug, ext, feed.get("bozo_exception"))
            assert any(link.get("rel") == "self" for link in feed.feed.links)
            for e in feed.entries:
                assert e.link == e.id and e.link.startswith("http")
                assert all(enc.href != e.link for enc in e.enclosures)
                for enc in e.enclosures:
                    assert enc.type.startswith("image/") and enc.length.isdigit()

    atom = feedparser.parse((out / "computer-vision.atom").read_bytes())
    seed = next(e for e in atom.entries if "amazon-rekognition" in e.link)
    seed_file = next((corpus / "seed").rglob("*.md"))
    expected = {r["webUrl"] for r in yaml.safe_load(seed_file.read_text().split("---")[1])["related"]}
    related = [link for link in seed.links if link.rel == "related"]
    assert {link.href for link in related} == expected and all(link.title for link in related)
    assert [t.term for t in seed.tags] == ["Computer Vision", "AI", "AWS AI"]
    rss = feedparser.parse((out / "computer-vision.xml").read_bytes())
    seed_rss = next(e for e in rss.entries if "amazon-rekognition" in e.link)
    assert seed_rss.enclosures[0].href.startswith("https://i.guim.co.uk/")
    assert seed_rss.content[0].value.count("<li>") == len(expected)

    # secured values never reach output
    secret = next(
        line for line in (corpus / "seed").rglob("*.md").__next__().read_text().splitlines() if line.startswith("secured:")
    )
    value = secret.split(":", 1)[1].strip().strip('"')
    for f in out.iterdir():
        assert value[:40].encode() not in f.read_bytes()


def test_second_run_is_byte_identical(corpus: Path, tmp_path: Path) -> None:
    build(corpus, tmp_path / "a")
    build(corpus, tmp_path / "b")
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert a == b and len(a) == 3 * 29 + 2 + 1  # rss, atom, json per topic; OPML; index.html; the record
