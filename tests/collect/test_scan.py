"""The scan: one stream of article files in a fixed order, each file once, no list kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub.collect import scan
from feedpub.collect.scan import (
    Tally,
    iter_article_files,
    scan_digest,
    unordered_digest,
)


def touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def names(files: list[tuple[str, int, int]], root: Path) -> list[str]:
    return [os.path.relpath(p, root) for p, _, _ in files]


def tree(root: Path) -> Path:
    # Names chosen so that a folder sorts between files that share its prefix:
    # "a" < "a-b" < "a.md" as strings, and a folder's files come where its name falls.
    for rel in ["a.md", "a/z.md", "a/b/c.md", "a-b/m.md", "b.md", "2024/01/x.md", "2024/01-02.md", "Z.md"]:
        touch(root / rel)
    touch(root / ".hidden" / "secret.md")
    touch(root / "_data" / "topics.md")
    touch(root / "README.md")
    touch(root / "notes.txt")
    return root


def test_path_order_and_its_exact_reverse(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    forward = list(iter_article_files([root]))
    got = names(forward, root)
    assert got == sorted(got, key=lambda p: p.split(os.sep))
    assert set(got) == {"a.md", "a/z.md", "a/b/c.md", "a-b/m.md", "b.md", "2024/01/x.md", "2024/01-02.md", "Z.md"}
    assert list(iter_article_files([root], newest_first=True)) == forward[::-1]
    assert all(size == 1 and mtime > 0 for _, size, mtime in forward)


def test_several_sources_merge_into_one_order(tmp_path: Path) -> None:
    for rel in ["one/2024-01.md", "one/2024-03.md", "two/2024-02.md", "two/2024-04.md", "one-more/x.md"]:
        touch(tmp_path / rel)
    sources = [tmp_path / "two", tmp_path / "one", tmp_path / "one-more"]
    forward = names(list(iter_article_files(sources)), tmp_path)
    assert forward == ["one/2024-01.md", "one/2024-03.md", "one-more/x.md", "two/2024-02.md", "two/2024-04.md"]
    backward = names(list(iter_article_files(sources, newest_first=True)), tmp_path)
    assert backward == forward[::-1]


def test_nested_sources_read_each_file_once(tmp_path: Path) -> None:
    touch(tmp_path / "site" / "top.md")
    touch(tmp_path / "site" / "news" / "story.md")
    found = names(list(iter_article_files([tmp_path / "site", tmp_path / "site" / "news"])), tmp_path)
    assert found == ["site/news/story.md", "site/top.md"]


def test_a_linked_file_is_read_once_under_its_own_name(tmp_path: Path) -> None:
    root = tmp_path / "src"
    touch(root / "m-target.md")
    (root / "a-link.md").symlink_to(root / "m-target.md")  # sorts before its target
    (root / "z-link.md").symlink_to(root / "m-target.md")  # and after it
    touch(root / ".drafts" / "hidden.md")  # not scanned under its own name
    (root / "b-draft.md").symlink_to(root / ".drafts" / "hidden.md")
    (root / "c-draft.md").symlink_to(root / ".drafts" / "hidden.md")
    for newest_first in (False, True):
        found = names(list(iter_article_files([root], newest_first=newest_first)), root)
        assert "m-target.md" in found and "a-link.md" not in found and "z-link.md" not in found
        # Two links to a file the scan does not reach itself: the first met is read.
        drafts = [n for n in found if n.endswith("-draft.md")]
        assert drafts == (["c-draft.md"] if newest_first else ["b-draft.md"])
        assert len(found) == 2


def test_the_tally_digests_what_passes(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    tally = Tally(iter_article_files([root], newest_first=True))
    assert len(list(tally)) == tally.count == 8
    first = scan_digest([root])
    assert (first.digest(), first.count) == (tally.digest(), 8)
    digest = first.digest()
    assert scan_digest([root]).digest() == digest  # the same files: the same digest
    (root / "b.md").write_text("longer", encoding="utf-8")
    assert scan_digest([root]).digest() != digest
    os.utime(root / "b.md", ns=(1, 1))
    changed = scan_digest([root]).digest()
    (root / "b.md").rename(root / "c.md")
    assert scan_digest([root]).digest() not in (digest, changed)


def test_the_order_free_digest_is_the_ordered_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree(tmp_path / "src")
    (root / "a" / "link.md").symlink_to(root / ".hidden" / "secret.md")  # one link: no order needed
    ordered = scan_digest([root])
    # No folder is listed to be sorted: the names come as the file system gives them.
    monkeypatch.setattr(scan, "_listing", lambda *_: pytest.fail("an unordered digest sorted a listing"))
    assert unordered_digest([root]) == (ordered.unordered_digest(), ordered.count) and ordered.count == 9
    before = unordered_digest([root])
    (root / "b.md").write_text("longer", encoding="utf-8")
    grown = unordered_digest([root])
    os.utime(root / "b.md", ns=(1, 1))
    older = unordered_digest([root])
    (root / "b.md").rename(root / "c.md")
    renamed = unordered_digest([root])
    assert len({before, grown, older, renamed}) == 4
    assert [d[1] for d in (before, grown, older, renamed) if d] == [9, 9, 9, 9]


def test_the_order_free_digest_stops_at_a_file_written_since(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    stamped = os.stat(root / "b.md").st_mtime_ns
    os.utime(root / "a.md", ns=(stamped + 5, stamped + 5))
    assert unordered_digest([root], changed_after_ns=stamped, now_ns=stamped + 10) is None
    # Dated after "now" (a clock that was ahead when it was written): counted, not a change.
    full = unordered_digest([root], changed_after_ns=stamped, now_ns=stamped + 1)
    assert full is not None and full == unordered_digest([root])


def test_the_order_free_digest_takes_the_ordered_scan_where_order_matters(tmp_path: Path) -> None:
    root = tmp_path / "src"
    touch(root / ".drafts" / "hidden.md")
    (root / "b-draft.md").symlink_to(root / ".drafts" / "hidden.md")
    (root / "c-draft.md").symlink_to(root / ".drafts" / "hidden.md")  # which of the two is read depends on order
    nested = tree(root / "news")
    for sources in ([root], [root, nested]):  # and overlapping sources
        ordered = scan_digest(sources)
        assert unordered_digest(sources) == (ordered.unordered_digest(), ordered.count)


def test_a_tally_stops_at_the_first_block_that_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Tally, "MARK_EVERY", 4)
    root = tmp_path / "src"
    for i in range(18):
        touch(root / f"{i:02d}.md")
    before = scan_digest([root])
    assert before.count == 18 and len(before.marks) == 4
    same = scan_digest([root], expect=before.marks)
    assert not same.differs and same.digest() == before.digest() and same.count == 18
    os.utime(root / "15.md", ns=(1, 1))  # newest first: in the first block of four
    early = scan_digest([root], expect=before.marks)
    assert early.differs and early.count == 4
    again = scan_digest([root])
    os.utime(root / "00.md", ns=(1, 1))  # among the last files, after the last mark
    late = scan_digest([root], expect=again.marks)
    assert not late.differs and late.count == 18 and late.digest() != again.digest()
    for i in range(18, 24):
        touch(root / f"{i:02d}.md")  # newer files: the first block differs
    assert scan_digest([root], expect=again.marks).differs


def test_a_large_folder_is_listed_in_runs_in_the_same_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from feedpub.collect import scan

    root = tmp_path / "src"
    for i in range(23):
        touch(root / f"{(i * 7) % 23:02d}-story.md")
    touch(root / "05-story" / "inner.md")  # a folder among the files
    whole = list(iter_article_files([root]))
    monkeypatch.setattr(scan, "_PLAIN", 10)
    monkeypatch.setattr(scan, "_RUN", 4)  # six runs of four names or fewer, merged
    assert list(iter_article_files([root])) == whole
    assert list(iter_article_files([root], newest_first=True)) == whole[::-1]
    assert names(whole, root)[4:7] == ["04-story.md", "05-story/inner.md", "05-story.md"]


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors through /proc")
def test_the_scan_leaves_no_folder_open(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    before = _open_descriptors()
    assert len(list(iter_article_files([root]))) == 8
    partial = iter_article_files([root], newest_first=True)
    assert next(partial) is not None  # stopped inside a folder: its descriptor is still open
    del partial  # dropped mid-way: the generator closes and runs its cleanup
    assert unordered_digest([root]) is not None
    assert _open_descriptors() == before


def test_a_tree_deeper_than_the_descriptors_left_is_scanned_by_path(tmp_path: Path) -> None:
    root = tmp_path / "src"
    deep = root
    for i in range(40):
        deep = deep / f"d{i:02d}"
        touch(deep / f"{i:02d}.md")
    expected = names(list(iter_article_files([root])), root)
    # In a child process allowed 24 descriptors, where 40 folders held open at once
    # would run out of them: none is missed.
    code = (
        "import os, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (24, 24))\n"
        "from feedpub.collect.scan import iter_article_files, unordered_digest\n"
        "root = sys.argv[1]\n"
        "print('\\n'.join(os.path.relpath(p, root) for p, _, _ in iter_article_files([root])))\n"
        "print(unordered_digest([root])[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    *found, count = done.stdout.splitlines()
    assert found == expected and len(found) == 40 and count == "40"
