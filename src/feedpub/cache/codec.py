"""The framing of cache files: a version tag, a length and a CRC-32 around marshal data."""

from __future__ import annotations

import marshal
import struct
import zlib
from pathlib import Path

from feedpub import __version__

FORMAT_VERSION = 3
"""Bump when the stored layout or the meaning of a field changes: old caches are dropped."""


def version_tag() -> tuple[int, str]:
    """What every cache file starts with: files of another layout or feedpub version are ignored."""
    return (FORMAT_VERSION, __version__)

_MAGIC = b"FEEDPUBC"
_HEAD = struct.Struct(">8sII")  # magic, payload length, CRC-32 of the payload
_MARSHAL = 4



def pack(payload: object) -> tuple[bytes, bytes]:
    """A cache file's header and body (written one after the other: the index can be
    tens of megabytes, and joining them would copy it)."""
    body = marshal.dumps(payload, _MARSHAL)
    return _HEAD.pack(_MAGIC, len(body), zlib.crc32(body)), body


def unpack(data: bytes) -> object | None:
    """The payload of a cache file, or None when it is not one, truncated or damaged."""
    if len(data) < _HEAD.size:
        return None
    magic, length, crc = _HEAD.unpack_from(data)
    body = memoryview(data)[_HEAD.size :]  # not a copy of a file that can be tens of megabytes
    if magic != _MAGIC or len(body) != length or zlib.crc32(body) != crc:
        return None
    try:
        payload = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(payload, tuple) or len(payload) != 4 or payload[:2] != version_tag():
        return None
    return payload


def read_file(path: Path) -> object | None:
    """:func:`unpack` of a file's bytes; None when it cannot be read."""
    try:
        return unpack(path.read_bytes())
    except OSError:
        return None
