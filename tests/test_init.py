"""``feedpub init``: a site that builds at once, and nothing that exists ever overwritten."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from feedpub import config_template
from feedpub.init import scaffold_files

from .console import feedpub


def test_init_then_build_writes_feeds(tmp_path: Path) -> None:
    made = feedpub("init", "site", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    site = tmp_path / "site"
    assert (site / "config" / "feedpub.yaml").read_text(encoding="utf-8") == config_template.text()
    assert "cd site && feedpub build" in made.stdout
    built = feedpub("build", cwd=site)
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    feed = feedparser.parse((site / "output" / "announcements.xml").read_bytes())
    assert not feed.bozo and feed.feed.title == "feedpub: Announcements"
    [entry] = feed.entries
    assert entry.title == "Hello from feedpub" and entry.link == "https://news.example.org/2025/01/06/hello-feedpub"
    # The topic definition's description reached the feed: it was read as a definition.
    assert feed.feed.subtitle == "News about this site"
    assert (site / "output" / "index.html").is_file() and (site / "output" / "all.atom").is_file()
    checked = feedpub("check", cwd=site)
    assert checked.returncode == 0 and checked.stdout == ""


def test_init_into_the_current_folder(tmp_path: Path) -> None:
    made = feedpub("init", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == sorted(scaffold_files())
    assert feedpub("build", "--quiet", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("in_the_way", [*scaffold_files(), "feedpub.yaml"])
def test_init_overwrites_nothing_and_writes_nothing(tmp_path: Path, in_the_way: str) -> None:
    mine = tmp_path / in_the_way
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text("mine\n", encoding="utf-8")
    made = feedpub("init", cwd=tmp_path)
    assert made.returncode == 2
    [line] = made.stderr.splitlines()
    assert line == f"feedpub: error: {in_the_way}: already exists; init overwrites nothing (nothing was written)"
    assert mine.read_text(encoding="utf-8") == "mine\n"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [mine]


def test_a_file_where_a_folder_goes_is_named(tmp_path: Path) -> None:
    (tmp_path / "content").write_text("a file\n", encoding="utf-8")
    made = feedpub("init", cwd=tmp_path)
    assert (
        made.returncode == 2
        and made.stderr == "feedpub: error: content: already exists; init overwrites nothing (nothing was written)\n"
    )
    assert not (tmp_path / "config").exists()


def test_a_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("", encoding="utf-8")
    made = feedpub("init", "site", cwd=tmp_path)
    assert made.returncode == 2 and made.stderr == "feedpub: error: site: exists and is not a folder\n"


def test_init_takes_no_other_flag(tmp_path: Path) -> None:
    made = feedpub("init", "--force", cwd=tmp_path)
    assert made.returncode == 2 and "unrecognized arguments: --force" in made.stderr
    assert list(tmp_path.iterdir()) == []
