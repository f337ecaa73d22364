"""A cache folder of any shape: each cache file replaced by a folder, a link, a FIFO or
garbage. The build neither hangs nor fails nor warns, writes what a clean build writes,
and leaves a cache the next run uses whole. A cache folder that cannot be one (a file
at its name) means one warning and a build without caches, and the file is left alone.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import FIXTURE_SITE
from ..localfs import build, clean_build, feeds, state


def folder(path: Path) -> None:
    path.mkdir()
    (path / "inside").write_bytes(b"something")


def dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def fifo(path: Path) -> None:
    os.mkfifo(path)


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00not a cache file\xff" * 100)


def empty(path: Path) -> None:
    path.write_bytes(b"")


MAKERS: dict[str, Callable[[Path], None]] = {"folder": folder, "dangling link": dangling, "FIFO": fifo, "garbage": garbage}
NAMES = ["index.bin", "records-1.bin", "feeds.bin", "selection.bin", "feeds/robots.xml", "feeds"]
CASES = [(name, kind) for name in NAMES for kind in MAKERS] + [("index.bin", "empty"), ("feeds", "empty")]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What a clean build writes (the same for every copy of the fixture site)."""
    return clean_build(FIXTURE_SITE, tmp_path_factory.mktemp("clean") / "out")


def run(site: Path, out: Path, cache: Path, *extra: str) -> dict[str, object]:
    # Deadline: a FIFO opened the wrong way would block forever; the build must not.
    done = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache), "--json", *extra, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [x for x in done.stderr.splitlines() if "2025-03-04-broken.md" not in x] == []  # no warning: rebuilt quietly
    report: dict[str, object] = json.loads(done.stdout)
    return report


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_any_shape_at_a_cache_files_name_is_rebuilt(tmp_path: Path, clean: dict[str, bytes], name: str, kind: str) -> None:
    site = Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))
    cache, out = tmp_path / "cache", tmp_path / "out"
    run(site, out, cache)
    assert (cache / name).exists()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"never touched\n")
    elsewhere = state(outside)
    path = cache / name
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    (empty if kind == "empty" else MAKERS[kind])(path)
    if kind == "dangling link" and name.startswith("feeds"):
        path.unlink()
        path.symlink_to(outside / "keep.txt")  # a link to a real file: never written through
    shutil.rmtree(out)
    run(site, out, cache, "--no-probe")  # another command line: no up-to-date shortcut
    assert feeds(out) == clean
    assert state(outside) == elsewhere
    # The cache was rebuilt whole: after a run that reads every entry (a record found
    # damaged on the way is parsed again then), a run after an edit parses that file only.
    reports = []
    for when, name in ((1_600_000_000, "2025-03-02-vacuum.md"), (1_600_000_001, "2025-03-01-arm.md")):
        os.utime(site / "_news" / name, (when, when))
        reports.append(run(site, out, cache, "--max-items", "50"))
    cached: dict[str, int] = reports[-1]["cache"]  # type: ignore[assignment]
    assert (cached["parsed"], cached["hits"]) == (1, reports[-1]["articles"]["read"] - 1)  # type: ignore[index]
    assert feeds(out) == clean


def test_a_file_where_the_cache_folder_belongs_is_left_alone(tmp_path: Path, clean: dict[str, bytes]) -> None:
    site = Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))
    cache, out = tmp_path / "notes.txt", tmp_path / "out"
    cache.write_bytes(b"the user's notes\n")
    done = build("--source", str(site), "--output", str(out), "--cache-dir", str(cache))
    assert done.returncode == 0, done.stderr
    said = [x for x in done.stderr.splitlines() if "2025-03-04-broken.md" not in x]
    assert said == [f"feedpub: {cache}: cannot use the cache folder (not a folder); this run goes without the cache"]
    assert cache.read_bytes() == b"the user's notes\n"
    assert feeds(out) == clean
    cache.unlink()
    run(site, out, cache)
    assert (cache / "index.bin").is_file() and feeds(out) == clean


@pytest.mark.parametrize("kind", ["FIFO", "folder"])
def test_any_shape_at_the_up_to_date_stamps_name_is_replaced(tmp_path: Path, clean: dict[str, bytes], kind: str) -> None:
    from feedpub.cache import uptodate

    site = Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))
    argv = ["build", "--quiet", "--json", "--source", str(site), "--output", str(tmp_path / "out")]
    assert build(*argv[2:], cwd=tmp_path).returncode == 0
    stamp = Path(str(uptodate.stamp_file(argv, cwd=str(tmp_path))))
    assert stamp.is_file()
    stamp.unlink()
    MAKERS[kind](stamp)
    reports = []
    for _ in range(2):  # not up to date (no stamp to read), then up to date (a stamp written in its place)
        done = build(*argv[2:], cwd=tmp_path, timeout=60)  # a FIFO read the wrong way would block
        assert done.returncode == 0, done.stderr
        assert feeds(tmp_path / "out") == clean
        reports.append(json.loads(done.stdout).get("up_to_date"))
    assert reports == [False, True] and stamp.is_file()
