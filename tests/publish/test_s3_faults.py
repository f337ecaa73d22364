"""The S3 target under faults, against the real SeaweedFS server: endpoints that never finish
an answer, a store that stalls mid-run, damaged manifests. After each, a run completes and
the bucket equals a clean publish's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from feedpub.config import PublishSettings
from feedpub.deadline import Deadline
from feedpub.errors import PublishError
from feedpub.publish.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from feedpub.publish.s3 import PublishIncomplete, S3Target

from ..s3server import S3Server
from .slowhttp import slow, stalling_proxy
from .test_s3 import build

pytestmark = pytest.mark.s3

TIMEOUTS = ("connect_timeout", "read_timeout", "max_attempts", "request_timeout", "deadline", "warn")


def target(url: str, **settings: Any) -> S3Target:
    """An S3Target with these publish settings and constructor options (the defaults for the rest)."""
    own = {k: settings.pop(k) for k in TIMEOUTS if k in settings}
    return S3Target(url, PublishSettings(**settings), **own)


def snapshot(s3: S3Server, bucket: str, prefix: str = "news/") -> dict[str, tuple[bytes, str, str, dict[str, str]]]:
    """Every object under the prefix: bytes, Content-Type, Cache-Control and user metadata."""
    client = s3.client()
    out = {}
    for obj in client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        got = client.get_object(Bucket=bucket, Key=obj["Key"])
        out[obj["Key"]] = (got["Body"].read(), got["ContentType"], got.get("CacheControl", ""), got["Metadata"])
    return out


def clean(s3: S3Server, version: str = "v1") -> dict[str, tuple[bytes, str, str, dict[str, str]]]:
    """What a clean publish of ``build(version)`` leaves in a fresh bucket."""
    bucket = s3.make_bucket()
    target(f"s3://{bucket}/news/").publish(build(version))
    return snapshot(s3, bucket)


def count_puts(store: S3Target) -> list[str]:
    """The PutObject requests ``store`` sends from now on, counted on the wire."""
    sent: list[str] = []
    store._client.meta.events.register("before-send.s3.PutObject", lambda **_: sent.append("PutObject"))
    return sent


@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_an_endpoint_that_never_finishes_is_cut_at_the_request_bound(s3_env: S3Server, mode: str) -> None:
    with slow(mode) as server:
        store = target("s3://feeds/news/", endpoint_url=server.url, request_timeout=2)
        with pytest.raises(PublishError) as info:
            store.publish(build())
        # The request was cut, not left reading in a stray thread.
        assert server.wait_hung_up(1) >= 1
    assert str(info.value) == f"S3 endpoint {server.url}, bucket feeds: no complete answer within 2 s"
    assert info.value.exit_status == 3


def test_the_run_deadline_is_named_when_it_comes_first(s3_env: S3Server) -> None:
    with slow() as server:
        store = target("s3://feeds/news/", endpoint_url=server.url, deadline=Deadline.after(2))
        with pytest.raises(PublishError) as info:
            store.publish(build())
    assert str(info.value) == (
        f"S3 endpoint {server.url}, bucket feeds: still waiting for an answer at the deadline (publish.deadline: 2 s)"
    )


def test_a_store_stalling_mid_run_then_a_rerun_equals_a_clean_publish(s3_env: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/news/"
    target(url).publish(build("v1"))
    new = build("v2")
    # Every feed goes through; the index's PUT is held forever by the proxy.
    with stalling_proxy(s3_env.endpoint, rf"PUT /{bucket}/news/topics\.opml ") as proxy:
        with pytest.raises(PublishIncomplete) as info:
            target(url, endpoint_url=proxy.url, request_timeout=3).publish(new)
        assert proxy.stalled == 1 and proxy.wait_hung_up(1) >= 1
    assert str(info.value) == f"S3 endpoint {proxy.url}, bucket {bucket}: no complete answer within 3 s; 1 file(s) not written"
    assert info.value.result.failed == ("topics.opml",)
    assert sorted(info.value.result.uploaded) == sorted(f.name for f in new if f.group == 0)

    # The manifest was not written after the failure: the feeds are uploaded again too.
    result = target(url).publish(new)
    assert "topics.opml" in result.uploaded and result.failed == ()
    assert snapshot(s3_env, bucket) == clean(s3_env, "v2")
    assert target(url).publish(new).uploaded == ()


def good_manifest(s3: S3Server, bucket: str) -> dict[str, Any]:
    return json.loads(s3.client().get_object(Bucket=bucket, Key=f"news/{MANIFEST_NAME}")["Body"].read())


def damage(kind: str, manifest: dict[str, Any]) -> bytes:
    """A manifest as a broken tool, a bad disk or a hostile writer could leave it."""
    if kind == "huge number":
        manifest["objects"]["ai.xml"]["size"] = 1e400  # json.dumps writes Infinity; write it as a literal instead
        return json.dumps(manifest).replace("Infinity", "1e400").encode()
    if kind == "deep nesting":
        return b'{"format": 1, "objects": {"ai.xml": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}"
    if kind == "wrong types":
        manifest["objects"]["ai.xml"] = {"sha256": ["a"], "size": "12", "etag": None}
        return json.dumps(manifest).encode()
    if kind == "not JSON":
        return b"<?xml version='1.0'?><manifest/>"
    if kind == "not UTF-8":
        return json.dumps(manifest).encode("utf-16")
    if kind == "huge object":
        manifest["padding"] = "x" * (MAX_MANIFEST_BYTES + 1024)
        return json.dumps(manifest).encode()
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["huge number", "deep nesting", "wrong types", "not JSON", "not UTF-8", "huge object"])
def test_a_damaged_manifest_is_rebuilt_and_publishing_goes_on(s3_env: S3Server, bucket: str, kind: str) -> None:
    url = f"s3://{bucket}/news/"
    target(url).publish(build(topics=("ai", "robotics", "vision", "gone")))
    body = damage(kind, good_manifest(s3_env, bucket))
    s3_env.client().put_object(Bucket=bucket, Key=f"news/{MANIFEST_NAME}", Body=body, ContentType="application/json")

    warnings: list[str] = []
    result = target(url, delete_stale=True, warn=warnings.append).publish(build())
    assert result.failed == ()
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith(f"S3 endpoint {s3_env.endpoint}, bucket {bucket}, key news/{MANIFEST_NAME}: ")
    assert "the manifest is unusable" in warnings[0] and "rebuilt" in warnings[0]
    # Every file is uploaded again; nothing is deleted on the word of a manifest it could not read.
    assert sorted(result.uploaded) == sorted(f.name for f in build()) and result.deleted == ()
    left = snapshot(s3_env, bucket)
    assert {k: v for k, v in left.items() if "/gone." not in k} == clean(s3_env)

    again = target(url, warn=warnings.append)
    puts = count_puts(again)
    assert again.publish(build()).uploaded == ()
    assert puts == [] and len(warnings) == 1
