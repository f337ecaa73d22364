"""Parse results as plain values: what parsing workers send back and the parse cache stores.

An accepted article becomes an :class:`~feedpub.records.EncodedArticle`: its full
record as :mod:`marshal` bytes (plain tuples, strings and numbers: the fastest format
to load that measured here, and one that never runs code as pickle can) with their
BLAKE2 digest, and the few fields selection reads. The parse cache appends the bytes
to its record files as they are, so a worker's result is encoded once.
"""

from __future__ import annotations

import hashlib
import marshal

from feedpub.records import Article, EncodedArticle, Image, Provider, Rejection, Related
from feedpub.times import from_micros, micros

_MARSHAL = 4
"""The marshal format of the record bytes."""


def _provider(p: Provider | None) -> tuple[str, str | None] | None:
    return None if p is None else (p.name, p.domain)


def _unprovider(t: tuple[str, str | None] | None) -> Provider | None:
    return None if t is None else Provider(t[0], t[1])


def encode(record: Article | Rejection) -> EncodedArticle | Rejection:
    """A parse result as plain values (a Rejection stays as it is).

    Runs in worker processes, so only cheap-to-pickle bytes and values cross back.
    """
    if isinstance(record, Rejection):
        return record
    a = record
    published = micros(a.published_at)
    blob = marshal.dumps(
        (
            a.title,
            a.url,
            published,
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
    return EncodedArticle(digest, blob, a.url, published, a.quality, a.published, a.topics)


def decode(path: str, blob: bytes) -> Article:
    """The full Article of the file at ``path`` from the bytes :func:`encode` made.

    Raises ValueError, EOFError or TypeError when the bytes are not such a record.
    """
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
