"""The local folder target: atomic writes, unchanged files untouched, no escaping the folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub.errors import PublishError
from feedpub.publish.folder import TEMP_FOLDER, FolderTarget
from feedpub.publish.written import RECORD_NAME
from feedpub.records import OutputFile

RSS = "application/rss+xml; charset=utf-8"


def files(version: str = "v1") -> list[OutputFile]:
    return [
        OutputFile("ai.xml", f"<rss>{version}</rss>".encode(), RSS),
        OutputFile("sub/vision.xml", f"<rss>{version} vision</rss>".encode(), RSS),
        OutputFile("topics.opml", f"<opml>{version}</opml>".encode(), "text/x-opml; charset=utf-8", group=1),
    ]


def test_publish_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = FolderTarget(out).publish(files())
    assert sorted(result.uploaded) == sorted(f.name for f in files())
    for item in files():
        assert (out / item.name).read_bytes() == item.data


def test_unchanged_file_keeps_its_mtime(tmp_path: Path) -> None:
    FolderTarget(tmp_path).publish(files())
    old = 1_000_000_000
    for item in files():
        os.utime(tmp_path / item.name, (old, old))
    changed = [OutputFile("ai.xml", b"<rss>v2</rss>", RSS), *files()[1:]]
    result = FolderTarget(tmp_path).publish(changed)
    assert result.uploaded == ("ai.xml",)
    assert (tmp_path / "ai.xml").stat().st_mtime != old
    assert (tmp_path / "sub/vision.xml").stat().st_mtime == old
    assert (tmp_path / "topics.opml").stat().st_mtime == old


def test_force_rewrites_unchanged_files_and_a_dry_run_names_their_paths(tmp_path: Path) -> None:
    FolderTarget(tmp_path).publish(files())
    old = 1_000_000_000
    for item in files():
        os.utime(tmp_path / item.name, (old, old))
    target = FolderTarget(tmp_path)
    assert target.publish(files(), dry_run=True, force=True).uploaded == tuple(f.name for f in files())
    assert all((tmp_path / f.name).stat().st_mtime == old for f in files())  # a dry run writes nothing
    assert target.location("sub/vision.xml") == str(tmp_path / "sub" / "vision.xml")
    result = target.publish(files(), force=True)
    assert sorted(result.uploaded) == sorted(f.name for f in files()) and result.unchanged == ()
    assert all((tmp_path / f.name).stat().st_mtime != old for f in files())
    assert all((tmp_path / f.name).read_bytes() == f.data for f in files())


FAILING_WRITE = """
import resource, signal, sys
from feedpub.publish.folder import FolderTarget
from feedpub.records import OutputFile
from feedpub.errors import PublishError
# Files may grow to 1000 bytes only: the write of a bigger feed fails half-way (EFBIG).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
try:
    FolderTarget(sys.argv[1]).publish([OutputFile("ai.xml", b"x" * 5000, "application/rss+xml")])
except PublishError as exc:
    print(exc)
    sys.exit(3)
"""


def test_failing_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    FolderTarget(tmp_path).publish(files())
    proc = subprocess.run([sys.executable, "-c", FAILING_WRITE, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "ai.xml" in proc.stdout
    assert (tmp_path / "ai.xml").read_bytes() == b"<rss>v1</rss>"
    # No temporary file or folder is left: the failed write cleaned up after itself.
    assert sorted(p.name for p in tmp_path.iterdir()) == [RECORD_NAME, "ai.xml", "sub", "topics.opml"]


@pytest.mark.parametrize("name", ["../escape.xml", "sub/../../escape.xml", "ABSOLUTE"])
def test_names_escaping_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if name == "ABSOLUTE":
        name = str(tmp_path / "escape.xml")
    with pytest.raises(PublishError, match="outside the folder"):
        FolderTarget(out).publish([OutputFile(name, b"x", RSS)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert list(out.iterdir()) == []


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = FolderTarget(out).publish(files(), dry_run=True)
    assert sorted(result.uploaded) == sorted(f.name for f in files())
    assert not out.exists()


def test_the_record_lists_what_was_written(tmp_path: Path) -> None:
    FolderTarget(tmp_path).publish(files())
    assert json.loads((tmp_path / RECORD_NAME).read_bytes())["written"] == sorted(f.name for f in files())
    # A name feedpub no longer writes stays on record while its file is there, and is forgotten once it is gone.
    FolderTarget(tmp_path).publish(files()[:1])
    assert json.loads((tmp_path / RECORD_NAME).read_bytes())["written"] == sorted(f.name for f in files())
    (tmp_path / "topics.opml").unlink()
    FolderTarget(tmp_path).publish([OutputFile("ai.xml", b"<rss>v3</rss>", RSS)])
    assert json.loads((tmp_path / RECORD_NAME).read_bytes())["written"] == ["ai.xml", "sub/vision.xml"]


HOLD_TEMP = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def test_leftover_temporary_files_are_swept_but_a_live_writers_is_kept(tmp_path: Path) -> None:
    FolderTarget(tmp_path).publish(files())
    temp = tmp_path / TEMP_FOLDER
    temp.mkdir()
    (temp / "0123456789abcdef.tmp").write_bytes(b"left by a killed run")
    live = temp / "fedcba9876543210.tmp"
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_TEMP, str(live)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        result = FolderTarget(tmp_path).publish(files())
        assert result.uploaded == ()
        assert [p.name for p in temp.iterdir()] == [live.name]  # the live writer's file: not debris
    finally:
        assert writer.stdin is not None
        writer.stdin.close()
        writer.wait(timeout=60)
    FolderTarget(tmp_path).publish(files())
    assert not temp.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [RECORD_NAME, "ai.xml", "sub", "topics.opml"]


class _Interrupt(BaseException):
    """Stands for the SIGTERM unwinding (a BaseException, as in feedpub.sigterm)."""


def test_a_signal_right_after_a_temporary_file_is_made_leaves_no_debris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A signal handler runs between two bytecodes: it can unwind the write after the
    # temporary file exists but before the code that would remove it is entered.
    out = tmp_path / "out"
    FolderTarget(out).publish(files())
    real_open = os.open
    made: list[str] = []

    def open_then_interrupt(path: object, flags: int, *args: object, **kwargs: object) -> int:
        fd = real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]
        if flags & os.O_CREAT and isinstance(path, str) and path.endswith(".tmp") and not made:
            made.append(path)  # the first temporary file only; the cleanup's own opens pass
            os.close(fd)
            raise _Interrupt
        return fd

    monkeypatch.setattr("feedpub.files.os.open", open_then_interrupt)
    with pytest.raises(_Interrupt):
        FolderTarget(out).publish(files("v2"))
    monkeypatch.undo()
    assert made and not (out / TEMP_FOLDER).exists()
    for item in files():
        assert (out / item.name).read_bytes() == item.data  # the old files, whole


def record_of(folder: Path) -> list[str]:
    names: list[str] = json.loads((folder / RECORD_NAME).read_bytes())["written"]
    return names


def test_stale_files_stay_unless_delete_stale_then_go_with_their_empty_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    FolderTarget(out).publish(files())
    (out / "theirs.xml").write_bytes(b"not feedpub's")  # never on the record: never deleted
    kept = FolderTarget(out).publish(files()[:1])
    assert kept.deleted == () and (out / "sub" / "vision.xml").exists()  # off by default, as on S3
    target = FolderTarget(out, delete_stale=True)
    dry = target.publish(files()[:1], dry_run=True)
    assert dry.deleted == ("sub/vision.xml", "topics.opml") and (out / "topics.opml").exists()
    result = target.publish(files()[:1])
    assert result.deleted == ("sub/vision.xml", "topics.opml") and result.unchanged == ("ai.xml",)
    assert sorted(p.name for p in out.iterdir()) == [RECORD_NAME, "ai.xml", "theirs.xml"]  # sub/ went too
    assert record_of(out) == ["ai.xml"]
    assert target.publish(files()[:1]).deleted == ()


def test_stale_deletes_are_bounded_and_never_go_through_a_link(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    many = [OutputFile(f"archive/ai/{n}.xml", b"<rss/>", RSS) for n in range(1, 6)]
    FolderTarget(out).publish([*files(), *many])
    elsewhere.mkdir()
    (elsewhere / "vision.xml").write_bytes(b"someone else's")
    (out / "sub" / "vision.xml").unlink()
    (out / "sub").rmdir()
    (out / "sub").symlink_to(elsewhere)  # a link where feedpub's folder was
    target = FolderTarget(out, delete_stale=True, max_deletes=3)
    assert target.publish(files()[:1]).deleted == ("archive/ai/1.xml", "archive/ai/2.xml", "archive/ai/3.xml")
    assert target.publish(files()[:1]).deleted == ("archive/ai/4.xml", "archive/ai/5.xml", "topics.opml")
    assert not (out / "archive").exists()
    assert (elsewhere / "vision.xml").read_bytes() == b"someone else's"  # not followed, not deleted
    assert target.publish(files()[:1]).deleted == ()
