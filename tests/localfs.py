"""Real local file-system faults for tests: a small tmpfs that fills up, folders that really refuse writes.

Root ignores permission bits, so "not writable" is made with a read-only bind mount
when the tests run as root (as CI does) and with chmod otherwise; a tmpfs needs root.
Every helper checks that the fault really happens (a write fails) and skips the test,
saying why, when it cannot be made here. Mounts are always undone.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from feedpub.publish.written import RECORD_NAME


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)


def _write_fails(folder: Path) -> bool:
    probe = folder / ".write-probe"
    try:
        probe.write_bytes(b"x")
    except OSError:
        return True
    probe.unlink()
    return False


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (mount's syntax: ``512k``) mounted at ``where``; skips unless root can mount."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the tests as root)")
    where.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        _run("umount", "-l", str(where))


def remount(where: Path, *, writable: bool) -> None:
    """Make the mount at ``where`` (a tmpfs or a bind mount from these helpers) read-only or writable again."""
    done = _run("mount", "-o", f"remount,{'rw' if writable else 'ro'}", str(where))
    assert done.returncode == 0, done.stderr


@contextmanager
def unwritable(folder: Path, *, except_in: Path | None = None) -> Iterator[Path]:
    """``folder`` refuses new files for the block (a read-only bind mount as root, else chmod 0555),
    while the folder ``except_in`` inside it stays writable (``/var/www`` read-only, ``/var/www/feeds`` not)."""
    folder.mkdir(parents=True, exist_ok=True)
    if except_in is not None:
        except_in.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            if not _write_fails(folder):
                pytest.skip(f"chmod does not stop writes to {folder} here")
            yield folder
        finally:
            folder.chmod(mode)
        return
    mounted: list[Path] = []
    try:
        for where, options in ((folder, "remount,bind,ro"), (except_in, "remount,bind,rw")):
            if where is None:
                continue
            done = _run("mount", "--bind", str(where), str(where))
            if done.returncode == 0:
                mounted.append(where)
                done = _run("mount", "-o", options, str(where))
            if done.returncode != 0:
                pytest.skip(f"cannot bind-mount {where} here: {done.stderr.strip()}")
        assert _write_fails(folder)
        assert except_in is None or not _write_fails(except_in)
        yield folder
    finally:
        for where in reversed(mounted):
            _run("umount", "-l", str(where))


def _write_until_it_fails(fd: int, block: bytes) -> int | None:
    """Write ``block`` again and again; the errno that stopped it."""
    while True:
        try:
            os.write(fd, block)
        except OSError as exc:
            return exc.errno


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte with one file; returns it (delete it to make room)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for block in (b"\0" * 65536, b"\0"):  # large blocks, then byte by byte until nothing more fits
            assert _write_until_it_fails(fd, block) == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def state(folder: Path) -> dict[str, object]:
    """Every entry under ``folder`` (not following links): a file's bytes, a link's target, a folder's marker."""
    out: dict[str, object] = {}
    if not folder.exists() and not folder.is_symlink():
        return out
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            out[name] = ("link", os.readlink(path))
        elif path.is_dir():
            out[name] = "folder"
        else:
            out[name] = path.read_bytes()
    return out


def feeds(folder: Path) -> dict[str, bytes]:
    """The published files of an output folder (feedpub's record left out), by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != RECORD_NAME and not p.is_dir()}


def build(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """A real ``feedpub build`` process."""
    return subprocess.run(
        [sys.executable, "-m", "feedpub", "build", "--quiet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def clean_build(source: Path, out: Path, *args: str) -> dict[str, bytes]:
    """What a fresh build without any cache writes for ``source``: the reference after a fault."""
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Run beside the output: a config/feedpub.yaml in the current folder would apply.
    done = build("--source", str(source), "--output", str(out), "--no-cache", *args, cwd=out.parent)
    assert done.returncode == 0, done.stderr
    return feeds(out)


def make_site(folder: Path, count: int) -> Path:
    """``count`` generated articles in ``folder/_news`` over 40 topics: a source large enough that a
    build takes a while (seconds, cold) and writes many feeds, for signals sent mid-build."""
    news = folder / "_news"
    news.mkdir(parents=True, exist_ok=True)
    related = "".join(f'  - title: "Related {k}"\n    webUrl: "https://elsewhere.test/{k}"\n' for k in range(6))
    for i in range(count):
        day = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        topics = ", ".join(f"Topic {t}" for t in {i % 40, (i * 7) % 40, (i * 13) % 40})
        text = (
            f'---\ntitle: "Story {i}: what happened"\nexcerpt: "{"Words of the excerpt. " * 12}"\n'
            f"publishedDateTime: {day}T{i % 24:02d}:{i % 60:02d}:00Z\n"
            f'webUrl: "https://news.test/{i}"\nquality: {i % 100}\ntopics: [{topics}]\n'
            f'images:\n  - url: "https://img.test/{i}.jpg"\n    width: 640\n    height: 480\n'
            f"provider: {{name: Wire {i % 7}, domain: wire{i % 7}.test}}\nrelated:\n{related}---\n"
        )
        path = news / f"{day}-story-{i}.md"
        path.write_text(text, encoding="utf-8")
        os.utime(path, (1_600_000_000 + i, 1_600_000_000 + i))  # long ago: the parse cache trusts them
    return folder
