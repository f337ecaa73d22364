"""The S3 target against a real SeaweedFS server started once for the test run (no mocks)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import pytest
import requests

from feedpub.config import PublishSettings
from feedpub.errors import ConfigError, PublishError
from feedpub.publish.s3 import MANIFEST_NAME, SHA_META, PublishIncomplete, S3Target
from feedpub.records import OutputFile

from ..s3server import S3Server, free_port

pytestmark = pytest.mark.s3

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
OPML = "text/x-opml; charset=utf-8"


def s3_target(url: str, **settings: Any) -> S3Target:
    """An S3Target with these publish settings (the documented defaults for the rest)."""
    own = {k: settings.pop(k) for k in ("connect_timeout", "read_timeout", "max_attempts") if k in settings}
    return S3Target(url, PublishSettings(**settings), **own)


def feed(slug: str, body: str = "v1", kind: str = "xml") -> OutputFile:
    data = f"<{kind} topic='{slug}'>{body}</{kind}>".encode()
    return OutputFile(name=f"{slug}.{kind}", data=data, content_type=RSS if kind == "xml" else ATOM)


def build(version: str = "v1", topics: tuple[str, ...] = ("ai", "robotics", "vision")) -> list[OutputFile]:
    """A build like render's: an RSS and an Atom feed per topic (group 0), an OPML index (group 1)."""
    files = [feed(t, version, kind) for t in topics for kind in ("xml", "atom")]
    index = "".join(f"<outline xmlUrl='{t}.xml'/>" for t in topics)
    opml = f"<opml version='{version}'>{index}</opml>".encode()
    files.append(OutputFile(name="topics.opml", data=opml, content_type=OPML, group=1))
    return files


def stamps(s3: S3Server, bucket: str, prefix: str = "news/") -> dict[str, tuple[str, datetime]]:
    """Key -> (ETag, Last-Modified) as the store reports them on HEAD."""
    client = s3.client()
    out = {}
    for obj in client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        head = client.head_object(Bucket=bucket, Key=obj["Key"])
        out[obj["Key"]] = (head["ETag"], head["LastModified"])
    return out


def stored(s3: S3Server, bucket: str, key: str) -> bytes:
    return s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(s3: S3Server, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])}


def wait_past_second() -> None:
    """Last-Modified has one-second resolution: let a second pass so a rewrite would show."""
    time.sleep(1.1)


def test_publish_sets_type_cache_control_and_mark(s3_env: S3Server, bucket: str) -> None:
    files = build()
    result = s3_target(f"s3://{bucket}/news/", cache_control="max-age=120").publish(files)
    assert sorted(result.uploaded) == sorted(f.name for f in files)
    client = s3_env.client()
    for item in files:
        head = client.head_object(Bucket=bucket, Key="news/" + item.name)
        assert head["ContentType"] == item.content_type
        assert head["CacheControl"] == "max-age=120"
        assert SHA_META in head["Metadata"]
        assert stored(s3_env, bucket, "news/" + item.name) == item.data


def test_anonymous_get_after_public_read_policy(s3_env: S3Server, bucket: str) -> None:
    files = build()
    s3_target(f"s3://{bucket}/news/").publish(files)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3_env.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    for item in files:
        response = requests.get(f"{s3_env.endpoint}/{bucket}/news/{item.name}", timeout=10)
        assert response.status_code == 200
        assert response.content == item.data
        assert response.headers["Content-Type"] == item.content_type
        assert response.headers["Cache-Control"] == "max-age=300"


def test_second_run_writes_nothing(s3_env: S3Server, bucket: str) -> None:
    files = build()
    s3_target(f"s3://{bucket}/news/").publish(files)
    before = stamps(s3_env, bucket)
    assert f"news/{MANIFEST_NAME}" in before
    wait_past_second()
    result = s3_target(f"s3://{bucket}/news/").publish(build())
    assert result.uploaded == ()
    assert sorted(result.unchanged) == sorted(f.name for f in files)
    # Checked through the store: no object (not even the manifest) was rewritten.
    assert stamps(s3_env, bucket) == before


def test_unchanged_publish_makes_one_listing_whatever_the_number_of_feeds(s3_env: S3Server, bucket: str) -> None:
    """Counted on the wire (boto3's before-send hook): no request per feed."""
    topics = tuple(f"topic-{i:03d}" for i in range(150))  # 301 objects
    s3_target(f"s3://{bucket}/many/").publish(build(topics=topics))
    target = s3_target(f"s3://{bucket}/many/")
    sent: list[str] = []
    target._client.meta.events.register("before-send.s3", lambda event_name, **_: sent.append(event_name.split(".")[-1]))
    result = target.publish(build(topics=topics))
    assert result.uploaded == () and len(result.unchanged) == 301
    assert sent == ["ListObjectsV2", "GetObject"]  # the listing and the manifest, nothing else


def test_changing_one_file_reuploads_only_that_key(s3_env: S3Server, bucket: str) -> None:
    s3_target(f"s3://{bucket}/news/").publish(build())
    before = stamps(s3_env, bucket)
    wait_past_second()
    files = [feed("ai", "v2") if f.name == "ai.xml" else f for f in build()]
    result = s3_target(f"s3://{bucket}/news/").publish(files)
    assert result.uploaded == ("ai.xml",)
    after = stamps(s3_env, bucket)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"news/ai.xml", f"news/{MANIFEST_NAME}"}
    assert stored(s3_env, bucket, "news/ai.xml") == feed("ai", "v2").data


def test_object_deleted_or_overwritten_behind_its_back_is_rewritten(s3_env: S3Server, bucket: str) -> None:
    files = build()
    s3_target(f"s3://{bucket}/news/").publish(files)
    client = s3_env.client()
    client.delete_object(Bucket=bucket, Key="news/ai.xml")
    original = next(f for f in files if f.name == "vision.atom")
    # Same size, different bytes: only the ETag can tell.
    tampered = bytes(reversed(original.data))
    client.put_object(Bucket=bucket, Key="news/vision.atom", Body=tampered, ContentType=ATOM)
    result = s3_target(f"s3://{bucket}/news/").publish(files)
    assert sorted(result.uploaded) == ["ai.xml", "vision.atom"]
    for item in files:
        assert stored(s3_env, bucket, "news/" + item.name) == item.data


@pytest.mark.parametrize("which", ["secret", "access_key"])
def test_wrong_credentials_one_clear_line(s3_env: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch, which: str) -> None:
    wrong = "Wr0ngSecret" + s3_env.secret_key[::-1]
    if which == "secret":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    else:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "NOSUCHKEY1234567")
    with pytest.raises(PublishError) as info:
        s3_target(f"s3://{bucket}/news/").publish(build())
    message = str(info.value)
    assert info.value.exit_status == 3
    assert s3_env.endpoint in message and bucket in message
    assert "\n" not in message and "Traceback" not in message
    assert wrong not in message and s3_env.secret_key not in message
    assert ("secret" if which == "secret" else "access key") in message
    assert keys(s3_env, bucket) == set()


def test_missing_bucket(s3_env: S3Server) -> None:
    with pytest.raises(PublishError) as info:
        s3_target("s3://no-such-bucket-here/news/").publish(build())
    message = str(info.value)
    assert "no-such-bucket-here" in message and "does not exist" in message
    assert s3_env.endpoint in message
    # SeaweedFS creates a bucket on PUT; feedpub must not have tried one.
    buckets = {b["Name"] for b in s3_env.client().list_buckets()["Buckets"]}
    assert "no-such-bucket-here" not in buckets


def test_unreachable_endpoint_fails_within_a_minute(s3_env: S3Server) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        s3_target("s3://feeds/news/", endpoint_url=endpoint).publish(build())
    assert time.monotonic() - started < 60
    message = str(info.value)
    assert endpoint in message and "feeds" in message and "connect" in message
    assert "\n" not in message


def test_server_stopped_mid_run_then_rerun_completes(s3_env: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/news/"
    s3_target(url).publish(build("v1"))
    new = build("v2")
    feeds = [f for f in new if f.group == 0]

    def stop_after_feeds(done: int, total: int) -> None:
        # Called after each file; once every topic feed is written, take the store away
        # before the index goes up.
        if done == len(feeds):
            s3_env.stop()

    with pytest.raises(PublishError) as info:
        s3_target(url, workers=2).publish(new, progress=stop_after_feeds)
    message = str(info.value)
    assert s3_env.endpoint in message and "\n" not in message
    assert isinstance(info.value, PublishIncomplete)
    assert info.value.result.failed == ("topics.opml",)

    s3_env.start()
    # The index was never half written: it still holds the old bytes.
    assert stored(s3_env, bucket, "news/topics.opml") == build("v1")[-1].data
    result = s3_target(url).publish(new)
    assert "topics.opml" in result.uploaded and result.failed == ()
    for item in new:
        assert stored(s3_env, bucket, "news/" + item.name) == item.data
    assert s3_target(url).publish(new).uploaded == ()


def test_dry_run_writes_nothing(s3_env: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/news/"
    files = build()
    result = s3_target(url).publish(files, dry_run=True)
    assert sorted(result.uploaded) == sorted(f.name for f in files)
    assert keys(s3_env, bucket) == set()

    s3_target(url).publish(files)
    before = stamps(s3_env, bucket)
    wait_past_second()
    changed = [feed("ai", "v2") if f.name == "ai.xml" else f for f in files if f.name != "vision.xml"]
    result = s3_target(url, delete_stale=True).publish(changed, dry_run=True)
    assert result.uploaded == ("ai.xml",)
    assert result.deleted == ("vision.xml",)
    assert stamps(s3_env, bucket) == before


def test_index_not_written_when_a_feed_fails(s3_env: S3Server, bucket: str) -> None:
    client = s3_env.client()
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/news/robotics.atom",
            }
        ],
    }
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny))
    url = f"s3://{bucket}/news/"
    files = build()
    with pytest.raises(PublishIncomplete) as info:
        s3_target(url).publish(files)
    result = info.value.result
    assert set(result.failed) == {"robotics.atom", "topics.opml"}
    assert "news/robotics.atom" in str(info.value)
    assert any("news/robotics.atom" in line and "denied" in line for line in result.errors)
    present = keys(s3_env, bucket)
    assert "news/topics.opml" not in present and "news/robotics.atom" not in present
    assert "news/ai.xml" in present

    client.delete_bucket_policy(Bucket=bucket)
    result = s3_target(url).publish(files)
    # The feeds that made it last time are not uploaded again.
    assert sorted(result.uploaded) == ["robotics.atom", "topics.opml"]


def test_delete_stale_is_bounded_and_only_touches_own_keys(s3_env: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/news/"
    client = s3_env.client()
    old_topics = ("a1", "a2", "a3", "a4", "a5")
    s3_target(url).publish(build(topics=("ai", *old_topics)))
    # Someone else's object under the prefix, and one of feedpub's objects replaced by hand.
    client.put_object(Bucket=bucket, Key="news/handmade.xml", Body=b"mine", ContentType=RSS)
    client.put_object(Bucket=bucket, Key="news/a5.atom", Body=b"edited by hand", ContentType=ATOM)
    current = build(topics=("ai",))

    assert s3_target(url).publish(current).deleted == ()
    assert "news/a1.xml" in keys(s3_env, bucket)

    first = s3_target(url, delete_stale=True, max_deletes=4).publish(current)
    assert first.deleted == ("a1.atom", "a1.xml", "a2.atom", "a2.xml")
    remaining = keys(s3_env, bucket)
    assert not {"news/a1.xml", "news/a1.atom", "news/a2.xml", "news/a2.atom"} & remaining
    assert {"news/a3.xml", "news/a4.atom", "news/a5.xml"} <= remaining

    for _ in range(3):
        s3_target(url, delete_stale=True, max_deletes=4).publish(current)
    left = keys(s3_env, bucket)
    assert left == {f"news/{f.name}" for f in current} | {
        f"news/{MANIFEST_NAME}",
        "news/handmade.xml",
        "news/a5.atom",
    }


def test_names_escaping_the_prefix_are_refused(s3_env: S3Server, bucket: str) -> None:
    bad = OutputFile(name="../escape.xml", data=b"x", content_type=RSS)
    with pytest.raises(PublishError, match=r"escape\.xml"):
        s3_target(f"s3://{bucket}/news/").publish([*build(), bad])
    assert keys(s3_env, bucket) == set()


@pytest.mark.parametrize(
    "url",
    ["http://feeds/news/", "s3://", "s3://x/news/", "s3://feeds/news/../up/", "s3://feeds/a//b/", "s3://u@feeds/"],
)
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        s3_target(url)
    assert info.value.exit_status == 2


def test_unknown_profile_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="no-such-profile"):
        s3_target("s3://feeds/news/", profile="no-such-profile")


def test_bucket_root_prefix(s3_env: S3Server, bucket: str) -> None:
    files = build()
    s3_target(f"s3://{bucket}").publish(files)
    assert keys(s3_env, bucket) == {f.name for f in files} | {MANIFEST_NAME}
    assert s3_target(f"s3://{bucket}/").publish(files).uploaded == ()


def test_silent_endpoint_times_out_with_one_line(s3_env: S3Server) -> None:
    # A port that accepts connections and never answers, like a hung server.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        target = s3_target("s3://feeds/news/", endpoint_url=endpoint, read_timeout=0.5, max_attempts=2)
        with pytest.raises(PublishError) as info:
            target.publish(build())
    message = str(info.value)
    assert message == f"S3 endpoint {endpoint}, bucket feeds: the endpoint stopped answering (read timeout)"


def test_not_an_s3_endpoint(s3_env: S3Server, tmp_path) -> None:
    # A plain web server where the store should be.
    with subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port := free_port())],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as web:
        try:
            endpoint = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    requests.get(endpoint, timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            with pytest.raises(PublishError) as info:
                s3_target("s3://feeds/news/", endpoint_url=endpoint, max_attempts=1).publish(build())
        finally:
            web.terminate()
    assert "is it an S3 endpoint?" in str(info.value)
