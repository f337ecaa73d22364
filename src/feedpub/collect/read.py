"""Reading one article file: bounded, never blocking on a pipe, problems as a Rejection."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from feedpub.records import Article, Rejection

MAX_FILE_BYTES = 1_000_000
"""Largest article file read (bytes); the largest real one is 59 KB. Bigger files are rejected."""


def read_article(path: Path) -> Article | Rejection:
    """Read and parse one article file; problems become a Rejection naming the file.

    Reads at most MAX_FILE_BYTES + 1 bytes from one open descriptor, so a file that
    grows while read is still bounded; a FIFO or device is refused, never waited on.
    """
    from feedpub.collect.article import (
        parse_article,  # YAML and dateutil load only when parsing
    )

    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return Rejection(name, "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return Rejection(name, f"file too large ({info.st_size} bytes; the limit is {MAX_FILE_BYTES})")
            data = _read_bounded(fd, info.st_size)
        finally:
            os.close(fd)
    except OSError as exc:
        return Rejection(name, f"cannot read: {exc.strerror or type(exc).__name__}")
    if len(data) > MAX_FILE_BYTES:
        return Rejection(name, f"file too large (more than {MAX_FILE_BYTES} bytes; it grew while read)")
    return parse_article(name, data)


def _read_bounded(fd: int, size: int) -> bytes:
    """The file's bytes, at most MAX_FILE_BYTES + 1 of them (one more shows it is too large).

    First as much as fstat said and one byte more, so a file that grew since shows it,
    then the rest only if it did. Not a file object's read(MAX_FILE_BYTES + 1): that
    allocates 1 MB for every 6 KB file, and with the buffered reader it was a quarter of
    the cost of parsing the file.
    """
    first = os.read(fd, min(size + 1, MAX_FILE_BYTES + 1))
    if len(first) == size:
        # Exactly the size fstat gave, one byte short of what was asked: the end of the
        # file, as a second read (one more system call a file) would say.
        return first
    chunks = [first]
    got = len(first)
    while first and got <= MAX_FILE_BYTES:
        first = os.read(fd, min(65_536, MAX_FILE_BYTES + 1 - got))
        chunks.append(first)
        got += len(first)
    return b"".join(chunks)
