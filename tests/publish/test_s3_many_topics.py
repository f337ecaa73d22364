"""Many topics, real files, the real SeaweedFS server: an unchanged publish lists once and
writes nothing, and an edit touches only the feeds of the edited article.

``feedpub publish`` runs in this process (``cli.main``) so that every S3 request is
counted on the wire, with boto3's ``before-send`` hook on each client feedpub makes.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from feedpub.cli import main

from ..s3server import S3Server

pytestmark = pytest.mark.s3

TOPICS = 120  # 3 feed files and a page each: with the site feed, the OPML, the index page and the manifest, 491 objects
FORMATS = (".xml", ".atom", ".json")


def write_article(folder: Path, i: int, title: str | None = None) -> Path:
    """Article i: its own long-tail topic plus one shared topic, newest last."""
    path = folder / f"2026-01-{1 + i // 24:02d}-story-{i:03d}.md"
    path.write_text(
        "---\n"
        f'title: "{title or f"Story {i}"}"\n'
        f'excerpt: "About topic {i}."\n'
        f"publishedDateTime: 2026-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z\n"
        f'webUrl: "https://news.test/story-{i}"\n'
        "quality: 80\n"
        "published: true\n"
        f"topics: [Long Tail {i:03d}, Everything]\n"
        "---\n",
        encoding="utf-8",
    )
    # Dated a minute back (an edit one more second): a file written moments before a run
    # is parsed again by the next one (the parse cache's racy-write rule), which would
    # re-render its feeds with the same bytes.
    ago = time.time_ns() - 60_000_000_000 + (1_000_000_000 if title else 0)
    os.utime(path, ns=(ago, ago))
    return path


class Wire:
    """Every S3 request made in this process, by operation name and (for writes) key."""

    def __init__(self) -> None:
        self.ops: Counter[str] = Counter()
        self.put_keys: list[str] = []

    def hook(self, event_name: str, request: Any, **_: Any) -> None:
        op = event_name.rsplit(".", 1)[-1]
        self.ops[op] += 1
        if op == "PutObject":
            self.put_keys.append(request.url.split("?", 1)[0].rsplit("/", 1)[-1])

    def clear(self) -> None:
        self.ops.clear()
        self.put_keys.clear()


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Counts the requests of every boto3 client created from here on (feedpub's included)."""
    seen = Wire()
    make_client = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        made = make_client(self, *args, **kwargs)
        made.meta.events.register("before-send.s3", seen.hook)
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return seen


def test_many_topics_unchanged_publish_lists_once_and_puts_nothing(
    s3_env: S3Server, bucket: str, tmp_path: Path, wire: Wire, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    news = tmp_path / "site" / "_news"
    news.mkdir(parents=True)
    for i in range(TOPICS):
        write_article(news, i)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    argv = [
        "publish",
        *("--source", str(news)),
        *("--target", f"s3://{bucket}/news/"),
        *("--base-url", "https://feeds.test/news/"),
        *("--cache-dir", str(tmp_path / "cache")),
        "--json",
    ]

    def publish() -> dict[str, Any]:
        capsys.readouterr()
        assert main(argv) == 0
        return json.loads(capsys.readouterr().out)

    first = publish()
    objects = (TOPICS + 2) * (len(FORMATS) + 1) + 2  # every topic, "Everything", the site feed (+ pages); OPML, index
    assert len(first["publish"]["uploaded"]) == objects
    assert wire.ops["PutObject"] == objects + 1  # and the manifest
    client = s3_env.client()
    before = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=bucket, Prefix="news/")["Contents"]}
    assert len(before) == objects + 1

    wire.clear()
    again = publish()
    assert again["publish"]["uploaded"] == [] and len(again["publish"]["unchanged"]) == objects
    assert again["cache"]["feeds_rendered"] == 0  # nothing re-rendered either
    # On the wire: one listing (one page at this size), the manifest read, and no write.
    assert wire.ops == Counter({"ListObjectsV2": 1, "GetObject": 1})
    assert {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=bucket, Prefix="news/")["Contents"]} == before

    # One old article edited: only its own topic's feeds are rendered and uploaded (with
    # the manifest); it is not among the 50 newest items of "Everything" or the site feed,
    # so those stay as they were. Still one listing.
    write_article(news, 7, title="Story 7, updated")
    assert edited_feeds(publish, wire) == {"long-tail-007"}
    # The newest article edited: its topic, the shared topic and the site feed.
    write_article(news, TOPICS - 1, title="The newest story, updated")
    assert edited_feeds(publish, wire) == {f"long-tail-{TOPICS - 1:03d}", "everything", "all"}
    assert set(before) == {o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="news/")["Contents"]}


def edited_feeds(publish: Any, wire: Wire) -> set[str]:
    """Publish after an edit; the feeds uploaded, checked to be the feeds rendered, on one listing."""
    wire.clear()
    report = publish()
    assert wire.ops["ListObjectsV2"] == 1
    puts = sorted(wire.put_keys)
    assert puts.pop(0) == ".feedpub-manifest.json"  # the manifest, once, and feed files
    uploaded = sorted(report["publish"]["uploaded"])
    assert uploaded == puts
    if "index.html" in puts:  # its cards show each topic's newest headlines
        puts.remove("index.html")
    feeds = {key.rsplit(".", 1)[0] for key in puts}
    assert puts == sorted(f + ext for f in feeds for ext in (*FORMATS, ".html"))  # the feeds and their page
    assert report["cache"]["feeds_rendered"] == len(feeds) * len(FORMATS)
    return feeds
