"""The S3 manifest and diff as pure code: no server needed."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from feedpub.publish import manifest as mf
from feedpub.publish.manifest import MANIFEST_NAME, Entry, Unusable
from feedpub.publish.rules import ObjectHeaders, StoredObject

RSS = "application/rss+xml; charset=utf-8"
CC = "max-age=300"


def item(name: str, data: bytes = b"<rss/>", group: int = 0) -> StoredObject:
    return StoredObject(name, data, ObjectHeaders(RSS, CC), group)


def entry_of(f: StoredObject, etag: str = "e1") -> Entry:
    return Entry.of(f, etag)


def good() -> dict[str, object]:
    """The parsed JSON of a manifest feedpub wrote."""
    return json.loads(mf.dump({"a.xml": entry_of(item("a.xml")), "sub/b.xml": entry_of(item("sub/b.xml"), "e2")}))


def test_dump_then_parse_round_trips_and_is_stable() -> None:
    entries = {"b.xml": entry_of(item("b.xml"), "e2"), "a.xml": entry_of(item("a.xml"))}
    body = mf.dump(entries)
    assert mf.parse(body) == entries
    assert mf.dump(dict(reversed(list(entries.items())))) == body
    assert json.loads(body)["format"] == 1


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xff\xfe{", "not UTF-8"),
        (b'{"format": 1, "objects": {', "not JSON"),
        (b"", "not JSON"),
        (deep(100_000), "nested too deeply"),
        (b'{"format": 1, "objects": {"a.xml": ' + deep(50_000) + b"}}", "nested too deeply"),
        (b"[]", "not a JSON object"),
        (b'{"format": true, "objects": {}}', "format True"),
        (b'{"format": 2, "objects": {}}', "format 2"),
        (b'{"format": 1, "objects": []}', "'objects'"),
        (b'{"format": 1, "objects": {"a.xml": 5}}', "not a JSON object"),
        (b'{"format": 1, "objects": {"a.xml": {"sha256": "x", "size": 1, "etag": "e"}}}', "sha256"),
        (b'{"format": 1, "objects": {"a.xml": {"sha256": "' + b"a" * 64 + b'", "size": 1e400, "etag": "e"}}}', "size"),
        (b'{"format": 1, "objects": {"a.xml": {"sha256": "' + b"a" * 64 + b'", "size": -1, "etag": "e"}}}', "size"),
        (b'{"format": 1, "objects": {"a.xml": {"sha256": "' + b"a" * 64 + b'", "size": true, "etag": "e"}}}', "size"),
        (b'{"format": 1, "objects": {"a.xml": {"sha256": "' + b"a" * 64 + b'", "size": 1, "etag": 5}}}', "etag"),
        (b'{"format": 1, "objects": {"a.xml": {"sha256": "' + b"a" * 64 + b'", "size": 1, "etag": "e\\n"}}}', "etag"),
        (b'{"format": 1, "objects": {"../x": {"sha256": "' + b"a" * 64 + b'", "size": 1, "etag": "e"}}}', "plain"),
        (b'{"format": 1, "objects": {"a.xml": {"sha256": "' + b"a" * 64 + b'", "size": NaN, "etag": "e"}}}', "NaN"),
        (b'{"format": 1, "objects": {}, "x": ' + b"9" * 5000 + b"}", "not JSON"),
    ],
)
def test_anything_but_what_feedpub_writes_is_unusable(body: bytes, why: str) -> None:
    with pytest.raises(Unusable, match=why.replace("(", r"\(")):
        mf.parse(body)


def test_a_manifest_larger_than_the_limit_is_unusable_without_reading_it() -> None:
    with pytest.raises(Unusable, match="larger than"):
        mf.parse(b" " * (mf.MAX_MANIFEST_BYTES + 1))


def test_missing_header_fields_only_make_the_file_upload_again() -> None:
    data = good()
    del data["objects"]["a.xml"]["content_type"]  # type: ignore[index]
    parsed = mf.parse(json.dumps(data).encode())
    assert parsed["a.xml"].content_type == ""
    files = [item("a.xml"), item("sub/b.xml")]
    listing = {"news/a.xml": (6, "e1"), "news/sub/b.xml": (6, "e2")}
    plan = mf.plan(files, listing, parsed, "news/")
    assert [f.name for f in plan.upload] == ["a.xml"]
    assert [f.name for f in plan.unchanged] == ["sub/b.xml"]


def test_a_manifest_from_before_content_encoding_leaves_its_objects_alone() -> None:
    # Objects feedpub wrote before gzip rules were stored without Content-Encoding; the
    # manifest of that time has no such key, and that is read as "none", the truth.
    data = good()
    for raw in data["objects"].values():  # type: ignore[attr-defined]
        del raw["content_encoding"]
    parsed = mf.parse(json.dumps(data).encode())
    assert parsed["a.xml"].content_encoding == ""
    listing = {"news/a.xml": (6, "e1"), "news/sub/b.xml": (6, "e2")}
    plan = mf.plan([item("a.xml"), item("sub/b.xml")], listing, parsed, "news/")
    assert plan.upload == () and len(plan.unchanged) == 2


def test_plan_uploads_what_changed_here_or_behind_feedpubs_back() -> None:
    same, edited, gone, tampered, new = (item(n) for n in ("same.xml", "edited.xml", "gone.xml", "tampered.xml", "new.xml"))
    manifest = {f.name: entry_of(f) for f in (same, edited, gone, tampered)}
    listing = {"p/same.xml": (6, "e1"), "p/edited.xml": (6, "e1"), "p/tampered.xml": (6, "other")}
    files = [same, item("edited.xml", b"<rss>2</rss>"), gone, tampered, new]
    plan = mf.plan(files, listing, manifest, "p/")
    assert [f.name for f in plan.unchanged] == ["same.xml"]
    assert sorted(f.name for f in plan.upload) == ["edited.xml", "gone.xml", "new.xml", "tampered.xml"]
    # A new Cache-Control is a change too.
    shorter = replace(same, headers=ObjectHeaders(RSS, "max-age=60"))
    assert [f.name for f in mf.plan([shorter], listing, manifest, "p/").upload] == ["same.xml"]
    # So is a new Content-Encoding, and --force uploads what did not change at all.
    gzipped = replace(same, headers=ObjectHeaders(RSS, CC, "gzip"))
    assert [f.name for f in mf.plan([gzipped], listing, manifest, "p/").upload] == ["same.xml"]
    assert [f.name for f in mf.plan([same], listing, manifest, "p/", force=True).upload] == ["same.xml"]


def test_stale_keys_are_only_those_still_exactly_as_feedpub_wrote_them() -> None:
    kept, old, edited_by_hand = item("kept.xml"), item("old.xml"), item("hand.xml")
    manifest = {f.name: entry_of(f) for f in (kept, old, edited_by_hand)}
    listing = {"p/kept.xml": (6, "e1"), "p/old.xml": (6, "e1"), "p/hand.xml": (9, "x"), "p/theirs.xml": (1, "t")}
    plan = mf.plan([kept], listing, manifest, "p/")
    assert plan.stale == ("old.xml",)


def test_next_manifest_keeps_what_is_still_ours_and_forgets_the_rest() -> None:
    a, b, c = item("a.xml"), item("b.xml"), item("c.xml")
    manifest = {f.name: entry_of(f) for f in (a, b, c)}
    listing = {"p/a.xml": (6, "e1"), "p/b.xml": (6, "e1"), "p/c.xml": (6, "e1")}
    plan = mf.plan([a, item("b.xml", b"<rss>new</rss>")], listing, manifest, "p/")
    # b failed to upload (its old object stays ours); c is stale and was deleted.
    after = mf.next_manifest(plan, "p/", {}, ["c.xml"])
    assert after == {"a.xml": manifest["a.xml"], "b.xml": manifest["b.xml"]}
    written = Entry(mf.sha256(b"<rss>new</rss>"), 14, "e9", RSS, CC)
    assert mf.next_manifest(plan, "p/", {"b.xml": written}, ["c.xml"])["b.xml"] == written


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (["a.xml", "../up.xml"], "not a plain relative name"),
        (["/abs.xml"], "not a plain relative name"),
        (["a//b.xml"], "not a plain relative name"),
        (["bell\x07.xml"], "not a plain relative name"),
        ([MANIFEST_NAME], "feedpub's own manifest"),
        (["a.xml", "a.xml"], "given twice"),
        (["x" * 1020 + ".xml"], "longer than S3's 1024 bytes"),
    ],
)
def test_names_that_cannot_be_keys_are_refused(names: list[str], problem: str) -> None:
    found = mf.check_names([item(n) for n in names], "news/")
    assert found is not None and problem in found
    assert mf.check_names([item("a.xml"), item("sub/b.xml")], "news/") is None
