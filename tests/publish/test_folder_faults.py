"""Local write failures, made real: a full tmpfs, a read-only one, an unwritable parent, a file
named as the output, two builds at once. Each ends in one line (exit 3 for the output, a
warning for the cache), leaves the previous feeds whole, and the next run, with room or
permissions back, writes what a clean build writes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub.publish.folder import TEMP_FOLDER

from ..conftest import FIXTURE_SITE
from ..localfs import build, clean_build, feeds, fill, make_site, remount, tmpfs, unwritable

PAST = 1_600_000_000


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))


def edit(site: Path) -> None:
    """Change an article so that the next build rewrites feeds (an mtime long ago, as a real edit's)."""
    path = site / "_news" / "2025-03-01-arm.md"
    path.write_text(path.read_text(encoding="utf-8").replace("fold laundry", "fold shirts"), encoding="utf-8")
    os.utime(path, (PAST, PAST))


def lines(stderr: str) -> list[str]:
    """What a run said, less the fixture's deliberately broken article."""
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if "2025-03-04-broken.md" not in line]


def test_a_full_disk_fails_in_one_line_and_keeps_the_feeds(site: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        out, cache = disk / "out", tmp_path / "cache"
        assert build("--source", str(site), "--output", str(out), "--cache-dir", str(cache)).returncode == 0
        before = feeds(out)
        edit(site)
        filler = fill(disk)
        done = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
        assert done.returncode == 3
        [line] = lines(done.stderr)
        assert line.startswith(f"feedpub: error: {out}/") and line.endswith(": cannot write: No space left on device")
        assert feeds(out) == before and not (out / TEMP_FOLDER).exists()
        filler.unlink()
        again = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
        assert again.returncode == 0, again.stderr
        assert feeds(out) == clean_build(site, tmp_path / "clean")


def test_a_full_disk_under_the_cache_only_costs_the_cache(site: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "256k") as disk:
        cache, out = disk / "cache", tmp_path / "out"
        filler = fill(disk)
        done = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
        assert done.returncode == 0, done.stderr
        [warning] = lines(done.stderr)
        assert warning.startswith(f"feedpub: {cache}: cannot write the cache (") and "No space left on device" in warning
        assert feeds(out) == clean_build(site, tmp_path / "clean")
        filler.unlink()
        edit(site)
        for _ in range(2):  # the cache is rebuilt, then used
            again = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
            assert again.returncode == 0 and lines(again.stderr) == []
            assert feeds(out) == clean_build(site, tmp_path / "clean")
        kept = sorted(p.name for p in cache.iterdir())
        assert kept[:3] == ["feeds", "feeds.bin", "index.bin"] and kept[4:] == ["selection.bin"]
        assert kept[3].startswith("records-")  # one record file: the rest were dropped


def test_a_read_only_output_fails_in_one_line_and_keeps_the_feeds(site: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        out, cache = disk / "out", tmp_path / "cache"
        assert build("--source", str(site), "--output", str(out), "--cache-dir", str(cache)).returncode == 0
        before = feeds(out)
        unchanged = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
        remount(disk, writable=False)
        try:
            # Nothing to write: a read-only folder is no problem.
            assert build("--source", str(site), "--output", str(out), "--cache-dir", str(cache)).returncode == 0
            edit(site)
            done = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
            assert done.returncode == 3
            assert lines(done.stderr) == [f"feedpub: error: {out}: cannot write in the output folder: Read-only file system"]
            assert feeds(out) == before
        finally:
            remount(disk, writable=True)
        assert unchanged.returncode == 0
        again = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
        assert again.returncode == 0, again.stderr
        assert feeds(out) == clean_build(site, tmp_path / "clean") and not (out / TEMP_FOLDER).exists()


def test_an_unwritable_parent_means_a_build_without_the_cache(site: Path, tmp_path: Path) -> None:
    www = tmp_path / "www"
    out = www / "feeds"
    with unwritable(www, except_in=out):
        done = build("--source", str(site), "--output", str(out))
        assert done.returncode == 0, done.stderr
        [warning] = lines(done.stderr)
        assert warning.startswith(f"feedpub: {www / '.feedpub-cache'}: cannot use the cache folder (cannot create it: ")
        assert warning.endswith("); this run goes without the cache")
        assert feeds(out) == clean_build(site, tmp_path / "clean")
    edit(site)
    again = build("--source", str(site), "--output", str(out))
    assert again.returncode == 0 and lines(again.stderr) == []
    assert (www / ".feedpub-cache" / "index.bin").is_file()
    assert feeds(out) == clean_build(site, tmp_path / "clean")


def test_an_unwritable_output_folder_fails_in_one_line(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build("--source", str(site), "--output", str(out)).returncode == 0
    before = feeds(out)
    edit(site)
    with unwritable(out):
        done = build("--source", str(site), "--output", str(out))
        assert done.returncode == 3
        [line] = lines(done.stderr)
        assert line.startswith(f"feedpub: error: {out}: cannot write in the output folder: ")
        assert feeds(out) == before
    assert build("--source", str(site), "--output", str(out)).returncode == 0
    assert feeds(out) == clean_build(site, tmp_path / "clean")


def test_an_output_that_is_a_file_is_refused_and_left_alone(site: Path, tmp_path: Path) -> None:
    taken = tmp_path / "feeds.xml"
    taken.write_bytes(b"a file, not a folder\n")
    done = build("--source", str(site), "--output", str(taken))
    assert done.returncode == 3
    assert lines(done.stderr) == [f"feedpub: error: {taken}: not a folder (the output must be one)"]
    done = build("--source", str(site), "--output", str(taken / "sub"))
    assert done.returncode == 3
    assert lines(done.stderr) == [f"feedpub: error: {taken / 'sub'}: cannot create the output folder: Not a directory"]
    assert taken.read_bytes() == b"a file, not a folder\n"
    taken.unlink()
    again = build("--source", str(site), "--output", str(taken))
    assert again.returncode == 0 and lines(again.stderr) == []
    assert feeds(taken) == clean_build(site, tmp_path / "clean")


def test_builds_sharing_a_cache_at_once_all_complete(tmp_path: Path) -> None:
    """Two real builds at once into two folders with one cache folder (no lock keeps them apart):
    neither deletes the other's temporary files, both write what a clean build writes."""
    big = make_site(tmp_path / "big", 3000)
    cache = tmp_path / "cache"
    argv = [sys.executable, "-m", "feedpub", "build", "--quiet", "--source", str(big), "--cache-dir", str(cache)]
    procs = [
        subprocess.Popen(
            [*argv, "--output", str(tmp_path / f"out{i}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    assert [err for _, err in results] == ["", "", ""]
    clean = clean_build(big, tmp_path / "clean")
    assert all(feeds(tmp_path / f"out{i}") == clean for i in range(3))
    again = build("--source", str(big), "--output", str(tmp_path / "out0"), "--cache-dir", str(cache), "--json")
    assert again.returncode == 0 and feeds(tmp_path / "out0") == clean
    assert not [p.name for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_builds_into_one_folder_at_once_never_write_together(tmp_path: Path) -> None:
    """Three real builds started at once into one folder, spelled three ways: the lock lets one
    write at a time (the others exit 4 with one line), and the folder ends as a clean build's."""
    big = make_site(tmp_path / "big", 3000)
    (tmp_path / "link").symlink_to(tmp_path / "out")
    spellings = ["out", "./out/", "link"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "feedpub", "build", "--quiet", "--source", str(big), "--output", spelling],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for spelling in spellings
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert {p.returncode for p in procs} <= {0, 4} and 0 in {p.returncode for p in procs}, results
    for proc, (_, err) in zip(procs, results, strict=True):
        expected = [] if proc.returncode == 0 else [x for x in err.splitlines() if "holds the lock on" in x]
        assert err.splitlines() == expected and len(expected) == (proc.returncode == 4)
    assert feeds(tmp_path / "out") == clean_build(big, tmp_path / "clean")
    assert not (tmp_path / "out" / TEMP_FOLDER).exists()


def test_an_output_given_as_a_link_to_a_folder_not_made_yet(tmp_path: Path) -> None:
    """``--output link`` where the link points at a folder that does not exist yet: the build
    makes the folder the link names and writes there, as a clean build would."""
    site = make_site(tmp_path / "site", 20)
    (tmp_path / "link").symlink_to(tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-m", "feedpub", "build", "--quiet", "--source", str(site), "--output", "link"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert (tmp_path / "link").is_symlink() and (tmp_path / "out").is_dir()
    assert feeds(tmp_path / "out") == clean_build(site, tmp_path / "clean")
