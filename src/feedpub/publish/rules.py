"""What each object is stored as: its headers (``publish.rules``) and its body (gzip or not), as pure code.

Every store backend asks this module, and only this module, how a rendered file becomes
an object: :func:`headers_for` picks the headers by the first rule whose glob matches the
name (the defaults where none does, or where the rule leaves a key out), and
:func:`body_for` gives the bytes to store. :func:`prepare` does both for a whole build.
The manifest records the headers, so a changed rule re-uploads exactly the objects whose
headers it changes.

Gzip is deterministic, so an unchanged file gives the same object bytes on every run
(and no upload): ``gzip.compress`` with ``mtime=0`` writes no timestamp and, given
bytes rather than a file, no file name; the level is fixed. The output of one zlib
build is stable for one input and level; a Python with another zlib could compress
differently, which costs one upload of the gzipped objects, never a wrong one.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feedpub.config_values import glob_regex
from feedpub.formats import UNKNOWN_CONTENT_TYPE
from feedpub.records import OutputFile

if TYPE_CHECKING:
    from feedpub.config import PublishRule, PublishSettings

GZIP = "gzip"
"""The Content-Encoding of a gzipped object."""
GZIP_LEVEL = 9
"""Fixed, so the same bytes always compress to the same object. Feeds are small: the
slowest level costs milliseconds and saves a few percent over the default 6."""


@dataclass(frozen=True, slots=True)
class ObjectHeaders:
    """The headers an object is stored with; ``content_encoding`` is "" (none) or ``gzip``."""

    content_type: str
    cache_control: str
    content_encoding: str = ""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object as a store writes it: its name under the prefix, final bytes and headers.

    ``group`` orders uploads as :class:`~feedpub.records.OutputFile`'s does (feeds before indexes).
    """

    name: str
    body: bytes
    headers: ObjectHeaders
    group: int = 0


def rule_for(name: str, rules: Sequence[PublishRule]) -> PublishRule | None:
    """The first rule whose ``match`` fits ``name`` (a name relative to the prefix), or None."""
    for rule in rules:
        if glob_regex(rule.match).match(name):
            return rule
    return None


def headers_for(item: OutputFile, settings: PublishSettings) -> ObjectHeaders:
    """The headers of ``item``: the first matching rule's, the defaults for what it leaves out."""
    rule = rule_for(item.name, settings.rules)
    content_type = (rule and rule.content_type) or item.content_type or UNKNOWN_CONTENT_TYPE
    cache_control = (rule and rule.cache_control) or settings.cache_control
    return ObjectHeaders(content_type, cache_control, GZIP if rule is not None and rule.gzip else "")


def body_for(data: bytes, headers: ObjectHeaders) -> bytes:
    """The bytes stored for ``data`` with ``headers``: gzip-compressed, deterministically, when they say so."""
    if headers.content_encoding == GZIP:
        return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    return data


def prepare(files: Sequence[OutputFile], settings: PublishSettings) -> tuple[StoredObject, ...]:
    """Every file of a build as the object a store writes (same order)."""
    out = []
    for item in files:
        headers = headers_for(item, settings)
        out.append(StoredObject(item.name, body_for(item.data, headers), headers, item.group))
    return tuple(out)


__all__ = ["GZIP", "GZIP_LEVEL", "ObjectHeaders", "StoredObject", "body_for", "headers_for", "prepare", "rule_for"]
