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
                    assert enc.type.startswith("image/")
                    # RSS says length="0" for an unknown size; Atom leaves it out (not probed here).
                    assert enc.length.isdigit() if ext == "xml" else "length" not in enc

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


def test_whole_corpus_archives_top_feeds_and_topic_images(corpus: Path, tmp_path: Path) -> None:
    """Every topic's archive chain holds every article its rules let in, once; every file
    (subscription, archive, top) passes the validator's rules; topic images are the logos."""
    from .feedcheck import check_feed
    from .test_archive import walk

    config = tmp_path / "feedpub.yaml"
    sources = ", ".join(f'"{corpus / name}"' for name in ("power-apps", "artificial-intelligence", "seed"))
    config.write_text(
        f"site: {{base_url: 'https://feeds.test/news/', logo: 'https://site.test/logo.png', favicon: 'https://site.test/fav.png'}}\n"
        f"sources: [{sources}]\n"
        "output: out\nselection: {min_quality: 0, max_items: 5}\n"
        "archive: {enabled: true, page_size: 25}\ndigest: {enabled: true, days: 3660, items: 10}\n",
        encoding="utf-8",
    )

    def run(*extra: str) -> dict:
        p = subprocess.run(
            [sys.executable, "-m", "feedpub", "build", "--config", str(config), "--json", "--no-cache", *extra],
            capture_output=True, text=True, cwd=tmp_path, timeout=300,
        )  # fmt: skip
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    topics = {t["slug"] for t in run()["topics"]}
    # The same rules without a cut: each feed then holds every article its rules let in.
    run("--max-items", "100000", "--output", str(tmp_path / "whole"))
    out = tmp_path / "out"
    walked = 0
    for slug in topics:
        whole = {e.id for e in feedparser.parse((tmp_path / "whole" / f"{slug}.atom").read_bytes()).entries}
        if not whole:
            assert not (out / "archive" / slug).exists()
            continue
        for ext in (".atom", ".xml"):
            ids = walk(out, slug, ext)
            assert len(ids) == len(set(ids)) and set(ids) == whole, (slug, ext)
            walked += 1
    assert walked > 20 and (out / "archive" / "all" / "8.atom").is_file()  # 193 articles, pages of 25
    for path in out.rglob("*"):
        if path.suffix in (".xml", ".atom", ".json"):
            assert check_feed(path.name, path.read_bytes()) == [], path.relative_to(out)
    ai = (out / "ai.atom").read_text(encoding="utf-8")
    assert "<logo>https://smartableai.github.io/artificial-intelligence/assets/images/topics/ai.jpg</logo>" in ai
    assert json.loads((out / "top" / "ai.json").read_bytes())["icon"].endswith("/topics/ai.jpg")
    assert "<logo>https://site.test/logo.png</logo>" in (out / "all.atom").read_text(encoding="utf-8")
    assert "<icon>https://site.test/fav.png</icon>" in (out / "archive" / "all" / "8.atom").read_text(encoding="utf-8")
