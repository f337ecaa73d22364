"""The framing of cache files: a version tag, a length and a CRC-32 around marshal data."""

from __future__ import annotations

import marshal
import struct
import zlib
from pathlib import Path

from feedpub import __version__
from feedpub.cache.stamp import code_stamp
from feedpub.files import read_regular

FORMAT_VERSION = 3
"""Bump when the stored layout or the meaning of a field changes: old caches are dropped."""

_MAGIC = b"FEEDPUBC"
_HEAD = struct.Struct(">8sII")  # magic, payload length, CRC-32 of the payload
_MARSHAL = 4


def version_tag() -> tuple[int, str, bytes]:
    """What every cache file starts with: files of another layout, feedpub version or code
    (:func:`~feedpub.cache.stamp.code_stamp`) are ignored."""
    return (FORMAT_VERSION, __version__, code_stamp())


def pack(payload: object) -> tuple[bytes, bytes]:
    """A cache file's header and body, the payload under :func:`version_tag` (written one
    after the other: joining them would copy a body that can be large)."""
    body = marshal.dumps((version_tag(), payload), _MARSHAL)  # type: ignore[arg-type]
    return _HEAD.pack(_MAGIC, len(body), zlib.crc32(body)), body


def unpack(data: bytes) -> object | None:
    """The payload of a cache file, or None when it is not one, truncated, damaged or of other code."""
    if len(data) < _HEAD.size:
        return None
    magic, length, crc = _HEAD.unpack_from(data)
    body = memoryview(data)[_HEAD.size :]  # not a copy of a file that can be tens of megabytes
    if magic != _MAGIC or len(body) != length or zlib.crc32(body) != crc:
        return None
    try:
        tagged = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(tagged, tuple) or len(tagged) != 2 or tagged[0] != version_tag():
        return None
    payload: object = tagged[1]  # marshal gives Any: whatever the file held, the caller checks it
    return payload


def read_file(path: Path) -> object | None:
    """:func:`unpack` of a file's bytes; None when it cannot be read or is not a regular file."""
    try:
        return unpack(read_regular(path))
    except OSError:
        return None
