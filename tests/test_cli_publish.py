"""``feedpub publish`` as cron runs it, against the real SeaweedFS server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

from .conftest import FIXTURE_SITE


def publish(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedpub", "publish", *args],
        capture_output=True,
        text=True,
        cwd=Path.cwd(),
        env=env or os.environ.copy(),
        timeout=180,
    )


def public_read(s3, bucket: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }
    s3.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def test_publish_to_bucket_then_nothing_changes_then_one_edit(s3_env, bucket: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    public_read(s3_env, bucket)
    base = f"{s3_env.endpoint}/{bucket}/news/"
    args = ["--source", str(site), "--target", f"s3://{bucket}/news/", "--base-url", base, "--min-quality", "0", "--json"]
    p = publish(*args)
    assert p.returncode == 0, p.stderr
    first = json.loads(p.stdout)["publish"]
    assert "robots.xml" in first["uploaded"] and first["failed"] == []

    r = requests.get(base + "robots.xml", timeout=10)  # anonymous
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert f"{base}robots.xml".encode() in r.content
    assert requests.get(base + "robots.atom", timeout=10).headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert requests.get(base + "index.opml", timeout=10).headers["Content-Type"] == "text/x-opml; charset=utf-8"
    page = requests.get(base + "robots.html", timeout=10)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'value="{base}robots.xml"'.encode() in page.content  # the address to copy is where the feed is

    client = s3_env.client()

    def state() -> dict[str, tuple[str, object]]:
        listing = client.list_objects_v2(Bucket=bucket, Prefix="news/")["Contents"]
        return {o["Key"]: (o["ETag"], o["LastModified"]) for o in listing}

    before = state()
    p = publish(*args)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["publish"]["uploaded"] == []
    assert state() == before  # checked through the store: no object was rewritten

    article = site / "_news" / "2025-03-01-arm.md"
    article.write_text(article.read_text().replace("Robot arm learns", "Robot arm finally learns"))
    p = publish(*args)
    assert p.returncode == 0, p.stderr
    after = state()
    changed = {k.removeprefix("news/") for k in after if after[k] != before.get(k)}
    # Only the feeds the article belongs to (Robots, Home, the site feed) and the indexes.
    assert {n.rsplit(".", 1)[0] for n in changed} <= {"robots", "home", "all", "index", ".feedpub-manifest"}
    assert {"robots.xml", "home.xml", "all.xml"} <= changed
    assert {"robots.html", "home.html", "all.html", "index.html"} <= changed  # the pages show the new title


def test_s3_needs_base_url(s3_env, bucket: str) -> None:
    p = publish("--source", str(FIXTURE_SITE), "--target", f"s3://{bucket}/x/")
    assert p.returncode == 2 and "--base-url" in p.stderr


def test_wrong_credentials_exit_3_without_secret(s3_env, bucket: str) -> None:
    env = os.environ.copy()
    env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value-1234567890"
    p = publish("--source", str(FIXTURE_SITE), "--target", f"s3://{bucket}/x/", "--base-url", "https://f.test/", env=env)
    assert p.returncode == 3
    assert bucket in p.stderr and "Traceback" not in p.stderr
    assert "wrong-secret-value" not in p.stderr and s3_env.secret_key not in p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith("feedpub: error: ")


def test_server_stopped_exits_3_with_one_line(s3_env, bucket: str) -> None:
    s3_env.stop()
    try:
        p = publish("--source", str(FIXTURE_SITE), "--target", f"s3://{bucket}/x/", "--base-url", "https://f.test/")
    finally:
        s3_env.start()
    assert p.returncode == 3
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("feedpub: error: ") and s3_env.endpoint in last
    assert "Traceback" not in p.stderr


def test_dry_run_writes_nothing(s3_env, bucket: str) -> None:
    p = publish("--source", str(FIXTURE_SITE), "--target", f"s3://{bucket}/d/", "--base-url", "https://f.test/", "--dry-run")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert f"(dryrun) upload: robots.xml to s3://{bucket}/d/robots.xml" in lines
    assert lines[-1] == f"would upload {len(lines) - 1}, leave 0, delete 0"
    assert s3_env.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def rules_config(tmp_path: Path, bucket: str, formats: str, json_cache: str) -> Path:
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text(
        f"sources: ['{FIXTURE_SITE}']\nformats: [{formats}]\nsite: {{base_url: 'https://f.test/news/'}}\n"
        f"publish:\n  target: s3://{bucket}/news/\n  delete_stale: true\n"
        f"  rules:\n    - {{match: '*.json', cache_control: '{json_cache}'}}\n",
        encoding="utf-8",
    )
    return cfg


def test_dry_run_lines_json_actions_and_force(s3_env, bucket: str, tmp_path: Path) -> None:
    cfg = rules_config(tmp_path, bucket, "rss, json", "max-age=60")
    p = publish("--config", str(cfg), "--min-quality", "0", "--json")
    assert p.returncode == 0, p.stderr
    first = json.loads(p.stdout)["publish"]
    assert {"action": "upload", "name": "robots.json", "location": f"s3://{bucket}/news/robots.json"} in first["actions"]

    # RSS dropped (its objects are stale, deleted), the JSON feeds' Cache-Control changed.
    cfg = rules_config(tmp_path, bucket, "json", "max-age=30")
    p = publish("--config", str(cfg), "--min-quality", "0", "--dry-run")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    uploads = [x for x in lines if x.startswith("(dryrun) upload: ")]
    deletes = [x for x in lines if x.startswith("(dryrun) delete: ")]
    assert f"(dryrun) upload: robots.json to s3://{bucket}/news/robots.json" in uploads
    assert f"(dryrun) delete: s3://{bucket}/news/robots.xml" in deletes
    json_feeds = [n for n in first["uploaded"] if n.endswith(".json")]
    # The JSON feeds (new header), the indexes and the topic pages (they no longer list RSS feeds).
    pages = {n for n in first["uploaded"] if n.endswith(".html") and n != "index.html"}
    assert {x.split()[2] for x in uploads} == {*json_feeds, *pages, "index.opml", "index.html"}
    assert len(deletes) == len([n for n in first["uploaded"] if n.endswith(".xml")])
    assert lines == [*uploads, *deletes, f"would upload {len(uploads)}, leave 0, delete {len(deletes)}"]

    p = publish("--config", str(cfg), "--min-quality", "0", "--dry-run", "--json")
    report = json.loads(p.stdout)["publish"]
    assert report["dry_run"] is True
    assert [(a["action"], a["location"]) for a in report["actions"]] == [
        (x.split()[1].rstrip(":"), x.split()[-1]) for x in [*uploads, *deletes]
    ]
    assert s3_env.client().head_object(Bucket=bucket, Key="news/robots.xml")  # still there: nothing written

    p = publish("--config", str(cfg), "--min-quality", "0", "--json")
    done = json.loads(p.stdout)["publish"]
    assert sorted(done["uploaded"]) == sorted(x.split()[2] for x in uploads) and len(done["deleted"]) == len(deletes)

    p = publish("--config", str(cfg), "--min-quality", "0", "--json", "--force")
    forced = json.loads(p.stdout)["publish"]
    assert (
        p.returncode == 0
        and forced["unchanged"] == []
        and len(forced["uploaded"]) == len(done["uploaded"]) + len(done["unchanged"])
    )


def test_publish_to_gs_through_the_overridden_endpoint(s3_env, bucket: str) -> None:
    args = ["--source", str(FIXTURE_SITE), "--target", f"gs://{bucket}/g/", "--base-url", "https://f.test/", "--json"]
    p = publish(*args)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)["publish"]
    assert report["target"] == {"kind": "gs", "bucket": bucket, "prefix": "g/", "endpoint": s3_env.endpoint}
    assert s3_env.client().get_object(Bucket=bucket, Key="g/robots.xml")["Body"].read().startswith(b"<?xml")
    assert json.loads(publish(*args).stdout)["publish"]["uploaded"] == []
    p = publish("--source", str(FIXTURE_SITE), "--target", f"gs://{bucket}/g/")
    assert p.returncode == 2 and "needs --base-url" in p.stderr
