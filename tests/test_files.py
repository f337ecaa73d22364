"""Writing many files at once: each whole before its name points to it, temporary files never left behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedpub import files
from feedpub.files import write_many_via


@pytest.fixture
def fds(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """(temporary folder fd, target folder fd, target folder)."""
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    temp_fd = os.open(tmp_path / "tmp", os.O_RDONLY | os.O_DIRECTORY)
    out_fd = os.open(tmp_path / "out", os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield temp_fd, out_fd, tmp_path / "out"
    finally:
        os.close(temp_fd)
        os.close(out_fd)


def test_every_file_is_written_in_batches(fds: tuple[int, int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    temp_fd, out_fd, out = fds
    monkeypatch.setattr(files, "SYNC_BATCH", 4)  # 10 files: batches of 4, 4 and 2
    (out / "f3.xml").write_bytes(b"old")
    write_many_via(temp_fd, [(out_fd, f"f{i}.xml", f"<feed {i}/>".encode()) for i in range(10)])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {f"f{i}.xml": f"<feed {i}/>".encode() for i in range(10)}
    assert all((p.stat().st_mode & 0o777) == 0o644 for p in out.iterdir())
    assert os.listdir(temp_fd) == []


def test_a_failure_names_its_file_and_leaves_no_temp_file(fds: tuple[int, int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    temp_fd, out_fd, out = fds
    monkeypatch.setattr(files, "SYNC_BATCH", 4)
    (out / "f5.xml").mkdir()  # a folder with a file in it: no file can be renamed over it
    (out / "f5.xml" / "keep").write_bytes(b"")
    with pytest.raises(IsADirectoryError) as failed:
        write_many_via(temp_fd, [(out_fd, f"f{i}.xml", b"new") for i in range(8)])
    assert failed.value.filename == "f5.xml"
    # The first batch and the file before the failure are in place; the rest were never renamed.
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["f0.xml", "f1.xml", "f2.xml", "f3.xml", "f4.xml"]
    assert os.listdir(temp_fd) == []
