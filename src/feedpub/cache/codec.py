"""Stored forms of parse results and the framing of cache files (marshal, CRC-checked)."""

from __future__ import annotations

import hashlib
import marshal
import struct
import zlib
from pathlib import Path

from feedpub import __version__
from feedpub.times import from_micros, micros
from feedpub.records import Article, Image, Provider, Rejection, Related

FORMAT_VERSION = 2
"""Bump when the stored layout or the meaning of a field changes: old caches are dropped."""


def version_tag() -> tuple[int, str]:
    """What every cache file starts with: files of another layout or feedpub version are ignored."""
    return (FORMAT_VERSION, __version__)

_MAGIC = b"FEEDPUBC"
_HEAD = struct.Struct(">8sII")  # magic, payload length, CRC-32 of the payload
_MARSHAL = 4



def _provider(p: Provider | None) -> tuple[str, str | None] | None:
    return None if p is None else (p.name, p.domain)


def _unprovider(t: tuple[str, str | None] | None) -> Provider | None:
    return None if t is None else Provider(t[0], t[1])


def encode(record: Article | Rejection) -> tuple:  # type: ignore[type-arg]
    """A parse result as plain values: ``(reason,)`` or ``(digest, blob, selection fields)``.

    Runs in worker processes, so only cheap-to-pickle bytes and tuples cross back.
    """
    if isinstance(record, Rejection):
        return (record.reason,)
    a = record
    blob = marshal.dumps(
        (
            a.title,
            a.url,
            micros(a.published_at),
            a.excerpt,
            a.quality,
            a.published,
            a.topics,
            tuple((i.url, i.width, i.height, i.title) for i in a.images),
            _provider(a.provider),
            tuple(
                (r.title, r.url, _provider(r.provider), None if r.published_at is None else micros(r.published_at))
                for r in a.related
            ),
            a.kind,
        ),
        _MARSHAL,
    )
    digest = hashlib.blake2b(blob, digest_size=16).digest()
    return (digest, blob, micros(a.published_at), a.url, a.quality, a.published, a.topics)


def decode(path: str, blob: bytes) -> Article:
    """The full Article stored by :func:`encode`."""
    title, url, published, excerpt, quality, flag, topics, images, provider, related, kind = marshal.loads(blob)
    return Article(
        path=path,
        title=title,
        url=url,
        published_at=from_micros(published),
        excerpt=excerpt,
        quality=quality,
        published=flag,
        topics=topics,
        images=tuple(Image(*i) for i in images),
        provider=_unprovider(provider),
        related=tuple(Related(t, u, _unprovider(p), None if w is None else from_micros(w)) for t, u, p, w in related),
        kind=kind,
    )


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
    try:
        return unpack(path.read_bytes())
    except OSError:
        return None


Ref = tuple[int, int, int, bytes]
"""Where a full article record is stored: (segment, offset, length, BLAKE2 digest)."""

Fields = tuple[str, str, int, float, bool, tuple[str, ...], Ref]
"""An accepted article as selection reads it: (path, url, published_us, quality,
published, topics) and the :data:`Ref` of its full record."""
