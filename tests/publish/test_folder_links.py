"""Links and strangers' files in the output folder: never written through, never overwritten.

Real links planted in a real output folder, with real ``feedpub build`` runs; after each
the link targets are compared byte for byte, and the next run's output with a clean build.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from feedpub.errors import PublishError
from feedpub.publish.folder import TEMP_FOLDER, FolderTarget
from feedpub.publish.written import RECORD_NAME
from feedpub.records import OutputFile

from ..conftest import FIXTURE_SITE
from ..localfs import build, clean_build, feeds, state

ARTICLE = "_news/2025-03-01-arm.md"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the fixture site that is also the output folder (the case that destroyed articles)."""
    return Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files outside the output folder that links point at."""
    folder = tmp_path / "outside"
    (folder / "dir").mkdir(parents=True)
    (folder / "secret.txt").write_bytes(b"not a feed\n")
    (folder / "dir" / "inside.txt").write_bytes(b"in a folder\n")
    return folder


def plant(site: Path, outside: Path, kind: str, name: str = "robots.xml") -> str:
    """A link named ``name`` in the site; returns where it points."""
    target = {
        "source file": ARTICLE,
        "outside file": str(outside / "secret.txt"),
        "dangling": str(outside / "missing.txt"),
        "folder": str(outside / "dir"),
    }[kind]
    os.symlink(target, site / name)
    return target


def errors(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("feedpub: error:")]


KINDS = ["source file", "outside file", "dangling", "folder"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_feedpub_did_not_make_is_refused_and_nothing_is_written(
    site: Path, outside: Path, tmp_path: Path, kind: str
) -> None:
    target = plant(site, outside, kind)
    before, elsewhere = state(site), state(outside)
    done = build("--source", str(site), "--output", str(site))
    assert done.returncode == 3
    [line] = errors(done.stderr)
    assert f"{site / 'robots.xml'}: is a link (to {target}) feedpub did not make; not replaced" in line
    # Nothing was written: not through the link, not beside it (every name is checked first).
    assert state(site) == before and state(outside) == elsewhere
    (site / "robots.xml").unlink()
    again = build("--source", str(site), "--output", str(site))
    assert again.returncode == 0, again.stderr
    assert feeds(site) == clean_build(site, tmp_path / "clean")


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_swapped_in_for_a_file_feedpub_wrote_is_replaced_never_followed(
    site: Path, outside: Path, tmp_path: Path, kind: str
) -> None:
    assert build("--source", str(site), "--output", str(site)).returncode == 0
    (site / "robots.xml").unlink()
    plant(site, outside, kind)
    article, elsewhere = (site / ARTICLE).read_bytes(), state(outside)
    done = build("--source", str(site), "--output", str(site))
    assert done.returncode == 0, done.stderr
    assert not (site / "robots.xml").is_symlink() and (site / "robots.xml").is_file()
    assert (site / ARTICLE).read_bytes() == article and state(outside) == elsewhere
    assert feeds(site) == clean_build(site, tmp_path / "clean")


def test_a_file_feedpub_did_not_write_is_refused_unless_it_holds_the_same_bytes(site: Path, tmp_path: Path) -> None:
    clean = clean_build(site, tmp_path / "clean")
    (site / "robots.xml").write_bytes(b"<rss>someone else's</rss>\n")
    (site / "all.json").write_bytes(clean["all.json"])
    os.utime(site / "all.json", (1_000_000_000, 1_000_000_000))
    before = state(site)
    done = build("--source", str(site), "--output", str(site))
    assert done.returncode == 3
    [line] = errors(done.stderr)
    assert f"{site / 'robots.xml'}: exists and feedpub did not write it" in line
    assert state(site) == before
    (site / "robots.xml").unlink()
    assert build("--source", str(site), "--output", str(site)).returncode == 0
    # The identical file was taken over as it was (its mtime kept) and is on record now.
    assert (site / "all.json").stat().st_mtime == 1_000_000_000
    assert "all.json" in json.loads((site / RECORD_NAME).read_bytes())["written"]
    assert feeds(site) == clean


def test_a_file_feedpub_wrote_is_rewritten(site: Path, tmp_path: Path) -> None:
    assert build("--source", str(site), "--output", str(site)).returncode == 0
    (site / "robots.xml").write_bytes(b"edited by hand\n")
    assert build("--source", str(site), "--output", str(site)).returncode == 0
    assert feeds(site) == clean_build(site, tmp_path / "clean")


def test_a_record_reached_through_a_link_is_not_trusted(site: Path, outside: Path) -> None:
    forged = outside / "record.json"
    forged.write_text(json.dumps({"version": 1, "written": ["robots.xml"]}))
    os.symlink(forged, site / RECORD_NAME)
    (site / "robots.xml").write_bytes(b"someone else's\n")
    done = build("--source", str(site), "--output", str(site))
    assert done.returncode == 3 and "robots.xml: exists and feedpub did not write it" in done.stderr
    assert (site / "robots.xml").read_bytes() == b"someone else's\n"
    (site / "robots.xml").unlink()
    forged_bytes = forged.read_bytes()
    assert build("--source", str(site), "--output", str(site)).returncode == 0
    # The record's link was replaced by feedpub's own record, the file it pointed at untouched.
    assert not (site / RECORD_NAME).is_symlink() and forged.read_bytes() == forged_bytes


def test_a_damaged_record_refuses_changed_files_only(site: Path, tmp_path: Path) -> None:
    assert build("--source", str(site), "--output", str(site)).returncode == 0
    (site / RECORD_NAME).write_bytes(b"\x00garbage")
    assert build("--source", str(site), "--output", str(site)).returncode == 0  # nothing changed: nothing to refuse
    (site / "robots.xml").write_bytes(b"changed\n")
    done = build("--source", str(site), "--output", str(site))
    assert done.returncode == 3 and "robots.xml: exists and feedpub did not write it" in done.stderr
    assert (site / "robots.xml").read_bytes() == b"changed\n"


RSS = "application/rss+xml; charset=utf-8"


def test_a_link_on_the_way_to_a_subfolder_is_refused(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside / "dir", out / "sub")
    elsewhere = state(outside)
    with pytest.raises(PublishError, match=r"sub: is a link; feedpub never writes through one"):
        FolderTarget(out).publish([OutputFile("sub/inside.txt", b"x", RSS)])
    assert state(outside) == elsewhere


def test_a_planted_temporary_folder_is_refused(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside / "dir", out / TEMP_FOLDER)
    elsewhere = state(outside)
    with pytest.raises(PublishError, match=rf"{TEMP_FOLDER}: not a folder feedpub can keep its temporary files in"):
        FolderTarget(out).publish([OutputFile("ai.xml", b"x", RSS)])
    assert state(outside) == elsewhere and not (out / "ai.xml").exists()


@pytest.mark.parametrize("name", [RECORD_NAME, f"{TEMP_FOLDER}/x.xml"])
def test_feedpubs_own_names_are_not_output_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(PublishError, match="feedpub keeps its own files under that name"):
        FolderTarget(tmp_path).publish([OutputFile(name, b"x", RSS)])


def test_a_dry_run_reports_the_refusal_and_writes_nothing(site: Path, outside: Path) -> None:
    plant(site, outside, "source file")
    before = state(site)
    with pytest.raises(PublishError, match="is a link"):
        FolderTarget(site).publish([OutputFile("robots.xml", b"x", RSS)], dry_run=True)
    assert state(site) == before


def test_a_folder_written_before_records_is_taken_over_after_an_upgrade(tmp_path: Path) -> None:
    """A folder an earlier feedpub wrote has no record. Its feeds, OPML and directory page
    carry their own identity (self link, feed_url, feed folder, the page's wording): a
    build whose output changed takes them over instead of refusing every one once."""
    site = Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))
    out = tmp_path / "out"
    assert build("--source", str(site), "--output", str(out), cwd=tmp_path).returncode == 0
    (out / RECORD_NAME).unlink()  # as a feedpub from before records left the folder
    article = site / ARTICLE
    article.write_text(article.read_text().replace("title: ", "title: Updated ", 1))
    done = build("--source", str(site), "--output", str(out), cwd=tmp_path)
    assert done.returncode == 0 and errors(done.stderr) == []
    assert feeds(out) == clean_build(site, tmp_path / "clean")
    assert "robots.xml" in json.loads((out / RECORD_NAME).read_text())["written"]


def test_without_a_record_a_strangers_file_is_still_refused(tmp_path: Path) -> None:
    """No record is no licence: a file at a feed's name that is not that feed (another
    feed's self link, or no feed at all) stays untouched."""
    site = Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))
    out = tmp_path / "out"
    assert build("--source", str(site), "--output", str(out), cwd=tmp_path).returncode == 0
    (out / RECORD_NAME).unlink()
    other = (out / "home.xml").read_bytes()  # a feedpub feed, but of another topic
    (out / "robots.xml").write_bytes(other)
    (out / "robots.json").write_bytes(b'{"note": "mine"}\n')
    done = build("--source", str(site), "--output", str(out), cwd=tmp_path)
    assert done.returncode == 3
    [line] = errors(done.stderr)
    assert "robots.json: exists and feedpub did not write it" in line or "robots.xml: exists and feedpub did not write it" in line
    assert (out / "robots.xml").read_bytes() == other and (out / "robots.json").read_bytes() == b'{"note": "mine"}\n'


def test_without_a_record_a_strangers_page_is_refused(tmp_path: Path) -> None:
    """A topic page is taken over only when it offers the same feed address: another
    topic's page, or a page of one's own, at its name stays untouched."""
    site = Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))
    out = tmp_path / "out"
    assert build("--source", str(site), "--output", str(out), cwd=tmp_path).returncode == 0
    (out / RECORD_NAME).unlink()
    for mine in ((out / "home.html").read_bytes(), b"<!doctype html><p>my own robots page</p>\n"):
        (out / "robots.html").write_bytes(mine)
        article = site / ARTICLE
        article.write_text(article.read_text().replace("title: ", "title: Again ", 1))
        done = build("--source", str(site), "--output", str(out), cwd=tmp_path)
        assert done.returncode == 3
        assert "robots.html: exists and feedpub did not write it" in errors(done.stderr)[0]
        assert (out / "robots.html").read_bytes() == mine
