"""Hostile files cost little: alias bombs, huge files and deep nesting are refused
with a small, bounded amount of memory, and reading never blocks or escapes the source.

Memory is measured with tracemalloc (peak Python allocation while parsing). Calls that
could hang run in a worker thread with a generous join timeout, only as a hang guard.
"""

from __future__ import annotations

import os
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from feedpub.collect import frontmatter
from feedpub.collect.article import parse_article
from feedpub.collect.read import MAX_FILE_BYTES, _read_bounded, read_article
from feedpub.collect.scan import iter_article_files
from feedpub.collect.topicdefs import load_topic_defs
from feedpub.records import Article, Rejection

CASES = Path(__file__).parent / "cases"
GOOD = (CASES / "frame-crlf.md").read_bytes().replace(b"\r\n", b"\n")
HANG_GUARD = 5.0


def _peak(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``fn`` and return its result and the peak bytes it allocated."""
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def _bounded(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    worker.start()
    worker.join(HANG_GUARD)
    assert not worker.is_alive(), "did not return: it would hang a build"
    return out[0]


def _bomb(levels: int, width: int) -> bytes:
    lines = ["---", "a0: &a0 [" + ",".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
    top = f"*a{levels - 1}"
    lines += [
        f"title: {top}",
        f"excerpt: {top}",
        f"published: {top}",
        f"topics: {top}",
        "publishedDateTime: 2021-01-15T10:00:00Z",
        'webUrl: "https://example.com/b"',
        "---",
        "",
    ]
    return "\n".join(lines).encode()


@pytest.mark.parametrize("loader", ["C", "Python"])
@pytest.mark.parametrize(("levels", "width"), [(9, 9), (20, 10)])
def test_alias_bomb_is_refused_with_little_memory(levels: int, width: int, loader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if loader == "Python":
        monkeypatch.setattr(frontmatter, "SafeLoader", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML was built without libyaml")
    data = _bomb(levels, width)
    assert len(data) < 2000  # a few hundred bytes that expand to width**levels strings
    result, peak = _bounded(lambda: _peak(lambda: parse_article("bomb.md", data)))
    assert isinstance(result, Rejection)
    assert "YAML anchors" in result.reason
    assert peak < 256 * 1024


def test_the_bomb_fixture_is_refused_with_little_memory() -> None:
    data = (CASES / "yaml-alias-bomb.md").read_bytes()
    result, peak = _bounded(lambda: _peak(lambda: parse_article("bomb.md", data)))
    assert isinstance(result, Rejection) and "YAML anchors" in result.reason
    assert peak < 256 * 1024


@pytest.mark.parametrize("loader", ["C", "Python"])
@pytest.mark.parametrize("shape", ["flow", "block", "mapping"])
def test_deep_nesting_is_refused_without_recursion_error(shape: str, loader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if loader == "Python":
        monkeypatch.setattr(frontmatter, "SafeLoader", yaml.SafeLoader)
    depth = 20_000
    if shape == "flow":
        value = " " + "[" * depth + "]" * depth
    elif shape == "block":
        value = "\n" + "- " * depth + "x"
    else:
        value = " " + "{a: " * depth + "1" + "}" * depth
    data = GOOD.replace(b"---\n", b"---\nrelated:" + value.encode() + b"\n", 1)
    result = _bounded(lambda: parse_article("deep.md", data))
    assert isinstance(result, Rejection)
    assert "nest" in result.reason


def test_file_over_the_size_limit_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as fh:
        fh.write(GOOD)
        fh.truncate(MAX_FILE_BYTES * 50)  # sparse: 50 MB that take no disk
    result, peak = _peak(lambda: read_article(path))
    assert isinstance(result, Rejection)
    assert f"the limit is {MAX_FILE_BYTES}" in result.reason
    assert peak < 256 * 1024


def test_huge_scalar_just_under_the_limit_costs_about_its_size(tmp_path: Path) -> None:
    title = b"x" * (MAX_FILE_BYTES - 1000)
    path = tmp_path / "big-title.md"
    path.write_bytes(GOOD.replace(b"---\n", b"---\nexcerpt: " + title + b"\n", 1))
    result, peak = _peak(lambda: read_article(path))
    assert isinstance(result, Article)
    assert len(result.excerpt) == 2000
    assert peak < 20 * MAX_FILE_BYTES


def test_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    assert _files([tmp_path]) == [path]
    result = _bounded(lambda: read_article(path))
    assert isinstance(result, Rejection) and result.reason == "not a regular file"


def test_vanished_file_is_a_rejection(tmp_path: Path) -> None:
    path = tmp_path / "gone.md"
    path.write_bytes(GOOD)
    found = _files([tmp_path])
    path.unlink()
    result = read_article(found[0])
    assert isinstance(result, Rejection) and result.reason.startswith("cannot read")


def test_file_that_grew_past_the_limit_after_listing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "grows.md"
    path.write_bytes(GOOD)
    found = _files([tmp_path])
    with path.open("ab") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    result = read_article(found[0])
    assert isinstance(result, Rejection) and "file too large" in result.reason


@pytest.mark.parametrize(("grown", "read"), [(70_000, 70_000), (MAX_FILE_BYTES * 3, MAX_FILE_BYTES + 1)])
def test_a_file_that_grows_between_stat_and_read_is_read_whole_or_to_the_limit(tmp_path: Path, grown: int, read: int) -> None:
    """The read asks for the size fstat gave and one byte more; past that it reads on, bounded."""
    path = tmp_path / "grows.md"
    path.write_bytes(b"x" * grown)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert len(_read_bounded(fd, 100)) == read  # fstat said 100 bytes; it has grown since
    finally:
        os.close(fd)


def test_links_out_of_the_source_and_link_loops_are_not_followed(tmp_path: Path) -> None:
    source = tmp_path / "source"
    outside = tmp_path / "outside"
    source.mkdir()
    outside.mkdir()
    (outside / "private.md").write_bytes(GOOD)
    (source / "inside.md").write_bytes(GOOD)
    (source / "link-out.md").symlink_to(outside / "private.md")
    (source / "link-in.md").symlink_to(source / "inside.md")
    (source / "dir-out").symlink_to(outside, target_is_directory=True)
    (source / "loop.md").symlink_to(source / "loop.md")
    (source / "a.md").symlink_to(source / "b.md")
    (source / "b.md").symlink_to(source / "a.md")
    (source / "dangling.md").symlink_to(source / "missing.md")
    found = _files([source])
    # The link inside the source is the same file as inside.md: read once, under the
    # name that sorts first.
    assert [p.name for p in found] == ["dangling.md", "inside.md"]
    assert isinstance(read_article(found[0]), Rejection)


@pytest.mark.parametrize("loader", ["C", "Python"])
def test_hostile_topic_definitions_are_rejected_not_raised(tmp_path: Path, loader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if loader == "Python":
        monkeypatch.setattr(frontmatter, "SafeLoader", yaml.SafeLoader)
    folder = tmp_path / "_data" / "topics"
    folder.mkdir(parents=True)
    (folder / "01-deep.yaml").write_text("name: Deep\nx:\n" + "- " * 20_000 + "y\n")
    (folder / "02-bomb.yaml").write_bytes(_bomb(9, 9).replace(b"title:", b"name:").replace(b"---\n", b""))
    (folder / "03-tag.yaml").write_text("name: !!python/name:os.system\n")
    (folder / "04-fine.yaml").write_text("name: Fine\n_id: fine\n---")
    defs, problems = _bounded(lambda: load_topic_defs([tmp_path]))
    assert [d.slug for d in defs] == ["fine"]
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert "nested deeper" in reasons["01-deep.yaml"]
    assert "YAML anchors" in reasons["02-bomb.yaml"]
    assert "YAML tag" in reasons["03-tag.yaml"]


def _files(sources: list[Path]) -> list[Path]:
    """Every article file the scan finds under ``sources``, in path order."""
    return [Path(p) for p, _, _ in iter_article_files(sources)]
