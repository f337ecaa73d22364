"""The S3 target's manifest and diff, as pure code: no store, no network.

The manifest object (``<prefix>.feedpub-manifest.json``) records, for every object
feedpub wrote, its sha256 and size (of the bytes stored: gzipped ones when gzipped), ETag,
Content-Type, Cache-Control and Content-Encoding. With one listing
of the prefix it tells what a run must upload, may leave, and may delete. It is read
back from the store, so it is untrusted input: :func:`parse` accepts only the exact
shape :func:`dump` writes, and anything else (not UTF-8, not JSON, too big, too deep,
wrong types, absurd numbers) raises :class:`Unusable`; the caller then treats every
object as unknown, so each is uploaded again and the manifest rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from feedpub.publish.rules import ObjectHeaders, StoredObject

MANIFEST_NAME = ".feedpub-manifest.json"
MANIFEST_FORMAT = 1
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""Larger than any manifest feedpub writes (about 300 bytes an object); a bigger one is not read."""
MAX_KEY_BYTES = 1024
"""S3 limits a key to 1024 bytes of UTF-8."""
# The largest object S3 stores (5 TiB); a bigger size is no size feedpub wrote.
_MAX_SIZE = 5 * 1024**4
_SHA256 = re.compile(r"[0-9a-f]{64}")
# A header value feedpub could have sent: printable ASCII, bounded.
_HEADER = re.compile(r"[\x20-\x7e]{0,1024}")

Listing = Mapping[str, tuple[int, str]]
"""Key -> (size, ETag without quotes) of every object under the prefix."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One manifest line: what feedpub wrote under a name, and the ETag the store gave it."""

    sha256: str
    size: int
    etag: str
    content_type: str
    cache_control: str
    content_encoding: str = ""
    """"" when stored without one (every object before ``gzip`` rules existed)."""

    @property
    def headers(self) -> ObjectHeaders:
        """The headers the object was stored with."""
        return ObjectHeaders(self.content_type, self.cache_control, self.content_encoding)

    @classmethod
    def of(cls, obj: StoredObject, etag: str) -> Entry:
        """The entry of ``obj`` once stored with ``etag``."""
        h = obj.headers
        return cls(sha256(obj.body), len(obj.body), etag, h.content_type, h.cache_control, h.content_encoding)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a run will do, computed from the objects, the listing and the manifest."""

    upload: tuple[StoredObject, ...]
    unchanged: tuple[StoredObject, ...]
    stale: tuple[str, ...]
    listing: Listing
    manifest: Mapping[str, Entry]


class Unusable(ValueError):
    """The stored manifest cannot be trusted; the message says why, in a few words."""


def sha256(data: bytes) -> str:
    """The hex SHA-256 feedpub records for each object it writes."""
    return hashlib.sha256(data).hexdigest()


def name_problem(name: str) -> str | None:
    """Why ``name`` may not be written under a prefix, or None when it is a plain relative name."""
    if (
        not name
        or name.startswith("/")
        or any(s in ("", ".", "..") for s in name.split("/"))
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        return f"refusing to write {name!r}: not a plain relative name"
    if name == MANIFEST_NAME:
        return f"{name!r} is the name of feedpub's own manifest"
    return None


def check_names(files: Sequence[StoredObject], prefix: str) -> str | None:
    """The first reason the files cannot be written under ``prefix`` (bad, too long or repeated names), or None."""
    seen: set[str] = set()
    for item in files:
        problem = name_problem(item.name)
        if problem:
            return problem
        if len((prefix + item.name).encode()) > MAX_KEY_BYTES:
            return f"key {prefix + item.name} is longer than S3's {MAX_KEY_BYTES} bytes"
        if item.name in seen:
            return f"{item.name!r} given twice"
        seen.add(item.name)
    return None


def _reject_constant(name: str) -> Any:
    raise Unusable(f"{name} is no number feedpub writes")


def parse(body: bytes) -> dict[str, Entry]:
    """The entries of a stored manifest; :class:`Unusable` unless it is exactly what :func:`dump` writes."""
    if len(body) > MAX_MANIFEST_BYTES:
        raise Unusable(f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unusable("not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise Unusable("nested too deeply") from None
    except Unusable:
        raise
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise Unusable(f"not JSON ({getattr(exc, 'msg', None) or exc})") from None
    if not isinstance(data, dict):
        raise Unusable("not a JSON object")
    version = data.get("format")
    if type(version) is not int or version != MANIFEST_FORMAT:
        raise Unusable(f"format {version!r}, not {MANIFEST_FORMAT}")
    objects = data.get("objects")
    if not isinstance(objects, dict):
        raise Unusable("'objects' is not a JSON object")
    return {name: _entry(name, raw) for name, raw in objects.items()}


def _entry(name: str, raw: object) -> Entry:
    problem = name_problem(name)
    if problem:
        raise Unusable(f"entry {name!r}: {problem}")
    if not isinstance(raw, dict):
        raise Unusable(f"entry {name!r} is not a JSON object")
    sha, size = raw.get("sha256"), raw.get("size")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise Unusable(f"entry {name!r}: sha256 is not a SHA-256 in hex")
    # bool is an int in Python, and 1e400 an infinite float: neither is a size.
    if type(size) is not int or not 0 <= size <= _MAX_SIZE:
        raise Unusable(f"entry {name!r}: size is not a whole number of bytes")
    return Entry(
        sha,
        size,
        _header(name, "etag", raw.get("etag")),
        # Headers missing from an entry only make its file upload again: "" is no header sent.
        _header(name, "content_type", raw.get("content_type", "")),
        _header(name, "cache_control", raw.get("cache_control", "")),
        # Manifests from before gzip rules have no content_encoding: feedpub then sent
        # none, so "" is the truth about those objects and they are not uploaded again.
        _header(name, "content_encoding", raw.get("content_encoding", "")),
    )


def _header(name: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not _HEADER.fullmatch(value):
        raise Unusable(f"entry {name!r}: {key} is not a header value")
    return value


def dump(entries: Mapping[str, Entry]) -> bytes:
    """The manifest object's bytes: sorted, so the same entries always give the same bytes."""
    return json.dumps(
        {
            "format": MANIFEST_FORMAT,
            "generator": "feedpub",
            "objects": {
                name: {
                    "sha256": e.sha256,
                    "size": e.size,
                    "etag": e.etag,
                    "content_type": e.content_type,
                    "cache_control": e.cache_control,
                    "content_encoding": e.content_encoding,
                }
                for name, e in sorted(entries.items())
            },
        },
        indent=1,
        sort_keys=True,
    ).encode()


def plan(
    files: Sequence[StoredObject],
    listing: Listing,
    manifest: Mapping[str, Entry],
    prefix: str,
    *,
    force: bool = False,
) -> Plan:
    """Split ``files`` into upload and unchanged, and find the stale keys feedpub may delete.

    An object is unchanged when the listing shows its key with the manifest's size and
    ETag and the manifest's sha256 and headers (Content-Type, Cache-Control,
    Content-Encoding) equal the new ones. Anything else (new bytes, new headers, an
    object overwritten or deleted behind feedpub's back) is uploaded again; with
    ``force``, everything is.
    """
    upload: list[StoredObject] = []
    unchanged: list[StoredObject] = []
    for item in files:
        entry = manifest.get(item.name)
        seen = listing.get(prefix + item.name)
        same = (
            not force
            and entry is not None
            and seen is not None
            and seen == (entry.size, entry.etag)
            and entry.size == len(item.body)
            and entry.sha256 == sha256(item.body)
            and entry.headers == item.headers
        )
        (unchanged if same else upload).append(item)
    names = {f.name for f in files}
    # Stale: written by feedpub (in the manifest) and still exactly as written (the
    # listing's size and ETag match), but no longer part of the build.
    stale = tuple(
        sorted(
            name
            for name, entry in manifest.items()
            if name not in names and listing.get(prefix + name) == (entry.size, entry.etag)
        )
    )
    return Plan(tuple(upload), tuple(unchanged), stale, listing, manifest)


def next_manifest(plan: Plan, prefix: str, written: Mapping[str, Entry], forget: Sequence[str]) -> dict[str, Entry]:
    """The manifest after a run: what was written or left unchanged, plus stale keys still ours."""
    manifest: dict[str, Entry] = {}
    for name, entry in plan.manifest.items():
        # Keep an old entry only while the object is still exactly as feedpub wrote it:
        # a failed upload's old object, or a stale key not deleted (yet).
        if name not in forget and plan.listing.get(prefix + name) == (entry.size, entry.etag):
            manifest[name] = entry
    for item in plan.unchanged:
        manifest[item.name] = plan.manifest[item.name]
    manifest.update(written)
    return manifest


__all__ = [
    "MANIFEST_NAME",
    "MAX_MANIFEST_BYTES",
    "Entry",
    "Plan",
    "Unusable",
    "check_names",
    "dump",
    "next_manifest",
    "parse",
    "plan",
    "sha256",
]
