"""``feedpub build`` over every hostile file mixed with the real corpus.

Done when: exit 0 (never a traceback, never 2), every good article published, every
rejected file listed with its reason, and only well-formed, sanitised feeds written,
all inside the output folder, one file per topic, with no secret anywhere.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile_checks import SECRET, check_feed, check_json_feed, check_page

from feedpub.cli import main
from feedpub.collect.read import read_article
from feedpub.collect.scan import iter_article_files
from feedpub.publish.written import RECORD_NAME
from feedpub.records import Article
from feedpub.topics import SLUG_RE, topic_key

HERE = Path(__file__).parent
CASES = HERE / "cases"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A source folder: the corpus, the hostile cases, and a link to a secret outside it."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not beside the repository ({CORPUS})")
    top = tmp_path_factory.mktemp("hostile-build")
    source = top / "source"
    shutil.copytree(CORPUS, source / "corpus")
    shutil.copytree(CASES, source / "hostile")
    outside = top / "outside"
    outside.mkdir()
    secret = (CASES / "secret-fields.md").read_text(encoding="utf-8")
    (outside / "private.md").write_text(secret.replace("https://example.com/secret", "https://example.com/private"))
    (source / "hostile" / "link-out.md").symlink_to(outside / "private.md")
    return source


@pytest.fixture(scope="module")
def build(mixed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("out") / "feeds"
    with pytest.MonkeyPatch.context() as mp:
        # capsys is function-scoped: capture by swapping the streams for this one call.
        out, err = io.StringIO(), io.StringIO()
        mp.setattr(sys, "stdout", out)
        mp.setattr(sys, "stderr", err)
        # Not in the repository root, where config/feedpub.yaml (the example) would apply.
        mp.chdir(output.parent)
        status = main(
            ["build", "--source", str(mixed), "--output", str(output), "--json", "--base-url", "https://feeds.example.com/"]
        )
    return {"status": status, "summary": json.loads(out.getvalue()), "stderr": err.getvalue(), "output": output}


def test_build_exits_0(build: dict[str, Any]) -> None:
    assert build["status"] == 0
    assert "Traceback" not in build["stderr"]


def test_every_rejected_file_is_listed_with_its_reason(build: dict[str, Any], mixed: Path) -> None:
    rejected = {Path(r["path"]).name: r["reason"] for r in build["summary"]["articles"]["rejected"]}
    for name, expected in EXPECTED.items():
        if "rejected" in expected:
            assert expected["rejected"] in rejected.pop(name), name
            assert f"{name}: " in build["stderr"] or name in build["stderr"]
    # Besides the hostile cases, only the corpus's one broken file.
    assert list(rejected) == [
        "2020-12-01-project-innereye-evaluation-shows-how-ai-can-augment-and-accelerate-"
        "clinicians-ability-to-perform-radiotherapy-planning-13-times-faster.md"
    ]


def test_every_good_article_is_published(build: dict[str, Any], mixed: Path) -> None:
    """Each accepted, published, due article is an item of the site feed or a topic feed."""
    output = build["output"]
    items: set[str | None] = set()  # an empty <guid> has no text
    for path in output.iterdir():
        if path.suffix == ".xml":
            items |= {el.text for el in check_feed(path.read_bytes()).iter("guid")}
    good = [a for a in map(read_article, _files([mixed])) if isinstance(a, Article)]
    assert build["summary"]["articles"]["accepted"] == len(good)
    corpus_good = [a for a in good if "/corpus/" in a.path]
    assert len(corpus_good) == 318
    due = [a for a in good if a.published and a.published_at.year < 2100]
    # A due article may be missing from the feeds only when every feed it belongs to
    # (its topics' and the site-wide one) is full of newer items.
    feeds = {topic_key(t["name"]): t for t in build["summary"]["topics"]}
    site = next(t for t in build["summary"]["topics"] if t["slug"] == "all")
    missing = [a for a in due if a.url not in items]
    for article in missing:
        mine = [feeds[topic_key(n)] for n in article.topics] + [site]
        assert all(f["items"] == 50 for f in mine), article.path
    assert len(missing) < len(due)
    assert "https://example.com/crlf" in items and "https://example.com/bom" in items


def test_only_well_formed_sanitised_feeds_inside_the_output_folder(build: dict[str, Any], mixed: Path) -> None:
    output: Path = build["output"]
    top = mixed.parent
    written = sorted(p for p in output.rglob("*") if p.name != RECORD_NAME)
    assert all(p.parent == output and p.is_file() for p in written)
    # Beside the feeds, only feedpub's record of the names it wrote: those, exactly.
    assert json.loads((output / RECORD_NAME).read_bytes())["written"] == [p.name for p in written]
    # Nothing was written beside the source, the output or anywhere else in the build's folder.
    assert sorted(p.name for p in top.iterdir()) == ["outside", "source"]
    assert [p.name for p in (top / "outside").iterdir()] == ["private.md"]
    for path in written:
        assert path.suffix in (".xml", ".atom", ".opml", ".json", ".html"), path.name
        stem = path.name.rsplit(".", 1)[0]
        assert SLUG_RE.match(stem), path.name
        if path.suffix == ".json":
            check_json_feed(path.read_bytes())
        elif path.suffix == ".html":
            check_page(path.read_bytes())
        else:
            check_feed(path.read_bytes())


def test_topics_never_share_a_feed_file(build: dict[str, Any]) -> None:
    topics = build["summary"]["topics"]
    names = [t["name"] for t in topics]
    slugs = [t["slug"] for t in topics]
    assert len(set(slugs)) == len(slugs)
    files = [f for t in topics for f in t["files"]]
    assert len(set(files)) == len(files)
    by_name = {t["name"]: t["slug"] for t in topics}
    for name in ("../../../escape", "/etc/passwd", "a/b\\c", "..", ".", "~root", "人工知能", "!!!", "Index", "CON"):
        # Topic names that differ only in case are one topic (the most common spelling names it).
        assert name in by_name or name.casefold() in {n.casefold() for n in names}, name
    assert by_name["../../../escape"] == "escape"
    assert by_name["/etc/passwd"] == "etc-passwd"
    assert by_name["CON"] == "con-topic"
    assert by_name["人工知能"].startswith("topic-")
    assert by_name["index"].startswith("index-") if "index" in by_name else by_name["Index"].startswith("index-")
    # Four spellings that fold to distinct keys but slug alike, and a name crafted to
    # take the slug the disambiguation would give: all get their own file.
    collide = [by_name[n] for n in ("Coll Ision", "Coll-Ision", "coll_ision", "COLL ISION!")]
    crafted = [by_name[n] for n in names if n.startswith("crafted")]
    assert len(set(collide)) == 4 and len(set(crafted)) == 3


def test_no_secret_in_output_log_or_summary(build: dict[str, Any]) -> None:
    assert SECRET not in json.dumps(build["summary"], ensure_ascii=False)
    assert SECRET not in build["stderr"]
    for path in build["output"].iterdir():
        assert SECRET.encode() not in path.read_bytes(), path.name
        assert b"https://example.com/private" not in path.read_bytes()


def test_the_console_script_never_shows_a_traceback(mixed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "feedpub", "build", "--source", str(mixed), "--output", str(tmp_path / "o"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout


def _files(sources: list[Path]) -> list[Path]:
    """Every article file the scan finds under ``sources``, in path order."""
    return [Path(p) for p, _, _ in iter_article_files(sources)]
