"""Per-object rules, gzip, header-aware change detection, --force and gs:// against the real SeaweedFS server."""

from __future__ import annotations

import gzip
import json
import urllib.request
from typing import Any

import feedparser
import pytest

from feedpub.config import PublishSettings
from feedpub.publish.s3 import GCS_ENDPOINT, MANIFEST_NAME, S3Target
from feedpub.records import OutputFile

from ..s3server import S3Server
from .test_s3 import ATOM, OPML, RSS, stamps, wait_past_second

pytestmark = pytest.mark.s3

JSON = "application/feed+json; charset=utf-8"
ITEMS = "".join(f"<item><title>Story {i}</title><link>https://news.test/{i}</link></item>" for i in range(40))


def rss(slug: str, version: str = "v1") -> bytes:
    """A small valid RSS 2.0 feed: feedparser must read it back through HTTP."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{slug} {version}</title>'
        f"<link>https://news.test/</link><description>d</description>{ITEMS}</channel></rss>"
    ).encode()


def site(version: str = "v1") -> list[OutputFile]:
    """Two topics in three formats, then the indexes, as render makes them."""
    files = []
    for slug in ("ai", "robots"):
        files.append(OutputFile(f"{slug}.xml", rss(slug, version), RSS))
        files.append(OutputFile(f"{slug}.atom", f"<feed>{slug} {version}</feed>".encode(), ATOM))
        files.append(OutputFile(f"{slug}.json", json.dumps({"title": slug, "v": version}).encode(), JSON))
    files.append(OutputFile("index.opml", b"<opml/>", OPML, group=1))
    return files


def target(url: str, **settings: Any) -> S3Target:
    return S3Target(url, PublishSettings(**settings))


def puts(store: S3Target) -> list[str]:
    """The keys of every PutObject the store's client sends from now on, counted on the wire."""
    sent: list[str] = []

    def record(event_name: str, request: Any, **_: Any) -> None:
        if event_name.endswith("PutObject"):
            sent.append(request.url.split("/", 4)[-1].split("?")[0])

    store._client.meta.events.register("before-send.s3.PutObject", record)
    return sent


def public_read(s3: S3Server, bucket: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }
    s3.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def test_rules_set_each_objects_headers(s3_env: S3Server, bucket: str) -> None:
    rules = [
        {"match": "index.opml", "cache_control": "max-age=3600"},
        {"match": "*.json", "cache_control": "max-age=60", "content_type": "application/json"},
    ]
    target(f"s3://{bucket}/news/", rules=rules).publish(site())
    client = s3_env.client()

    def head(name: str) -> tuple[str, str, str | None]:
        h = client.head_object(Bucket=bucket, Key="news/" + name)
        return h["ContentType"], h["CacheControl"], h.get("ContentEncoding")

    assert head("index.opml") == (OPML, "max-age=3600", None)
    assert head("ai.json") == ("application/json", "max-age=60", None)
    assert head("ai.xml") == (RSS, "max-age=300", None)  # no rule: the defaults
    manifest = json.loads(client.get_object(Bucket=bucket, Key=f"news/{MANIFEST_NAME}")["Body"].read())
    assert manifest["objects"]["ai.json"]["cache_control"] == "max-age=60"
    assert manifest["objects"]["ai.json"]["content_encoding"] == ""


def test_gzip_objects_over_http_feedparser_and_plain_urllib(s3_env: S3Server, bucket: str) -> None:
    files = site()
    rules = [{"match": "*.xml", "gzip": True}]
    first = target(f"s3://{bucket}/news/", rules=rules).publish(files)
    assert sorted(first.uploaded) == sorted(f.name for f in files)
    public_read(s3_env, bucket)
    url = f"{s3_env.endpoint}/{bucket}/news/ai.xml"
    source = next(f.data for f in files if f.name == "ai.xml")

    # A plain urllib client asks for no encoding and decodes none: it gets the stored
    # gzip bytes, labelled as such. A feed reader that ignores the header sees binary.
    with urllib.request.urlopen(url, timeout=10) as response:
        raw = response.read()
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Content-Type"] == RSS
    assert raw[:2] == b"\x1f\x8b" and raw != source and gzip.decompress(raw) == source

    # feedparser sends Accept-Encoding: gzip and decodes the body: the feed as written.
    parsed = feedparser.parse(url)
    assert parsed.get("status") == 200 and not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.headers.get("content-encoding") == "gzip"
    assert parsed.feed.title == "ai v1" and len(parsed.entries) == 40

    # Objects without a rule are served as they are.
    with urllib.request.urlopen(f"{s3_env.endpoint}/{bucket}/news/ai.json", timeout=10) as response:
        assert response.headers.get("Content-Encoding") is None and json.loads(response.read())["title"] == "ai"

    # The same files again: the same gzip bytes, so nothing is uploaded, not even the manifest.
    before = stamps(s3_env, bucket)
    wait_past_second()
    store = target(f"s3://{bucket}/news/", rules=rules)
    sent = puts(store)
    again = store.publish(site())
    assert again.uploaded == () and sent == []
    assert stamps(s3_env, bucket) == before


def test_a_rule_change_reuploads_exactly_the_objects_it_affects(s3_env: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/news/"
    target(url, rules=[{"match": "*.json", "cache_control": "max-age=60"}]).publish(site())
    before = stamps(s3_env, bucket)
    wait_past_second()

    store = target(url, rules=[{"match": "*.json", "cache_control": "max-age=30"}])
    sent = puts(store)
    result = store.publish(site())
    assert sorted(result.uploaded) == ["ai.json", "robots.json"]
    # On the wire: the two feeds and the manifest that now records their header.
    assert sorted(sent) == ["news/" + MANIFEST_NAME, "news/ai.json", "news/robots.json"]
    after = stamps(s3_env, bucket)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"news/ai.json", "news/robots.json", "news/" + MANIFEST_NAME}
    assert s3_env.client().head_object(Bucket=bucket, Key="news/ai.json")["CacheControl"] == "max-age=30"

    # Turning gzip on for them is a change of their bytes and Content-Encoding: the same two.
    store = target(url, rules=[{"match": "*.json", "cache_control": "max-age=30", "gzip": True}])
    sent = puts(store)
    assert sorted(store.publish(site()).uploaded) == ["ai.json", "robots.json"]
    assert sorted(sent) == ["news/" + MANIFEST_NAME, "news/ai.json", "news/robots.json"]
    assert s3_env.client().head_object(Bucket=bucket, Key="news/ai.json")["ContentEncoding"] == "gzip"


def test_force_uploads_everything_and_changes_nothing_else(s3_env: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/news/"
    target(url).publish(site())
    store = target(url)
    sent = puts(store)
    result = store.publish(site(), force=True)
    assert sorted(result.uploaded) == sorted(f.name for f in site()) and result.unchanged == ()
    # Same bytes, same ETags: the manifest already says so and is not rewritten.
    assert sorted(sent) == sorted("news/" + f.name for f in site())
    assert target(url).publish(site()).uploaded == ()


def test_a_dry_run_says_where_each_object_would_go(s3_env: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/news/"
    target(url).publish(site())
    store = target(url, rules=[{"match": "index.opml", "cache_control": "max-age=3600"}])
    sent = puts(store)
    result = store.publish(site(), dry_run=True)
    assert result.uploaded == ("index.opml",) and sent == []
    assert store.location("index.opml") == f"s3://{bucket}/news/index.opml"


def test_gs_targets_use_the_s3_code_path_with_the_endpoint_overridden(
    s3_env: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # s3_env points AWS_ENDPOINT_URL at SeaweedFS: the setting a gs:// target obeys too.
    store = target(f"gs://{bucket}/feeds/")
    assert store.endpoint == s3_env.endpoint
    assert store.describe() == f"gs://{bucket}/feeds/ at {s3_env.endpoint}"
    assert store.fields() == {"kind": "gs", "bucket": bucket, "prefix": "feeds/", "endpoint": s3_env.endpoint}
    assert store.location("ai.xml") == f"gs://{bucket}/feeds/ai.xml"
    result = store.publish(site())
    assert len(result.uploaded) == len(site())
    assert s3_env.client().head_object(Bucket=bucket, Key="feeds/ai.xml")["ContentType"] == RSS
    assert target(f"gs://{bucket}/feeds/").publish(site()).uploaded == ()
    # Messages name GCS, not S3.
    assert store.where("feeds/ai.xml").startswith(f"GCS endpoint {s3_env.endpoint}, bucket {bucket}")
    # Without an endpoint setting, gs:// goes to Google's (only the client is made: no request).
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert target(f"gs://{bucket}/feeds/").endpoint == GCS_ENDPOINT
    assert target(f"gs://{bucket}/feeds/", endpoint_url=s3_env.endpoint).endpoint == s3_env.endpoint
