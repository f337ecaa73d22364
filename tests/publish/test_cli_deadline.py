"""``feedpub publish`` as cron runs it, against servers that never finish an answer.

The store (SeaweedFS's stand-in), a WebSub hub and an image host each trickle or stall;
every run ends within ``publish.deadline``, says so in one line, leaves the lock free, and
a later run publishes exactly what a clean run does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import FIXTURE_SITE
from ..s3server import S3Server
from .slowhttp import slow
from .test_s3_faults import snapshot

# Generous: proves the bound holds (the servers never finish on their own) without timing finely.
SLACK = 30
DEADLINE = 5
BASE = "https://feeds.test/news/"


def feedpub(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    """One run of the command in a new process, and how long it took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "feedpub", *args],
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
        timeout=180,
    )
    return done, time.monotonic() - started


def config(folder: Path, extra: str = "") -> Path:
    """A config beside a copy of the fixture site (its unusable file left out: one line each), ``publish.deadline`` small."""
    if not (folder / "site").exists():
        shutil.copytree(FIXTURE_SITE, folder / "site", ignore=shutil.ignore_patterns("*-broken.md"))
    path = folder / "feedpub.yaml"
    path.write_text(f"sources: [site]\nsite:\n  base_url: {BASE}\npublish:\n  deadline: {DEADLINE}\n{extra}", encoding="utf-8")
    return path


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.s3
@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_a_store_that_never_answers_ends_the_run_at_the_deadline(
    s3_env: S3Server, bucket: str, tmp_path: Path, mode: str
) -> None:
    cfg = config(tmp_path)
    args = ["publish", "--config", str(cfg), "--target", f"s3://{bucket}/news/", "--quiet"]
    with slow(mode) as store:
        env = {**os.environ, "AWS_ENDPOINT_URL": store.url}
        first, seconds = feedpub(*args, env=env)
        assert first.returncode == 3, first.stderr
        assert seconds < DEADLINE + SLACK
        assert first.stderr.splitlines() == [
            f"feedpub: error: S3 endpoint {store.url}, bucket {bucket}: "
            f"still waiting for an answer at the deadline (publish.deadline: {DEADLINE} s)"
        ]
        # The lock was released: the next run gets as far as the store again (3, not 4).
        second, _ = feedpub(*args, env=env)
        assert second.returncode == 3, second.stderr
        assert store.wait_hung_up(2) >= 2

    done, _ = feedpub(*args)  # the real store again
    assert done.returncode == 0, done.stderr
    other = s3_env.make_bucket()
    clean, _ = feedpub("publish", "--config", str(cfg), "--target", f"s3://{other}/news/", "--quiet")
    assert clean.returncode == 0, clean.stderr
    assert snapshot(s3_env, bucket) == snapshot(s3_env, other)


@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_a_slow_hub_is_a_websub_problem_and_the_publish_succeeds(tmp_path: Path, mode: str) -> None:
    with slow(mode) as hub:
        cfg = config(tmp_path, f"websub:\n  hubs: ['{hub.url}/hub']\n")
        out = tmp_path / "out"
        first, seconds = feedpub("publish", "--config", str(cfg), "--target", str(out), "--json")
        assert first.returncode == 0, first.stderr
        assert seconds < DEADLINE + SLACK
        problem = f"WebSub hub {hub.url}/hub: still waiting for an answer at the deadline (publish.deadline: {DEADLINE} s)"
        assert json.loads(first.stdout)["publish"]["websub_problems"] == [problem]
        assert first.stderr.splitlines() == [f"feedpub: {problem}"]
        assert hub.wait_hung_up(1) == 1
        # Lock free; nothing changed, so no hub is pinged and the run is quick and quiet.
        second, _ = feedpub("publish", "--config", str(cfg), "--target", str(out), "--quiet")
        assert (second.returncode, second.stderr) == (0, "")
    clean, _ = feedpub("build", "--config", str(cfg), "--output", str(tmp_path / "clean"), "--quiet")
    assert clean.returncode == 0, clean.stderr
    assert tree(out) == tree(tmp_path / "clean")


def test_a_slow_image_host_ends_the_run_once_and_is_then_skipped(tmp_path: Path) -> None:
    with slow() as host:
        cfg = config(tmp_path, "probe:\n  enabled: true\n  timeout: 60\n")
        (tmp_path / "site" / "_news" / "2025-03-05-pic.md").write_text(
            "---\ntitle: Pictured\npublishedDateTime: 2025-03-05T00:00:00Z\nwebUrl: https://news.test/pic\n"
            f"quality: 80\ntopics: [Robots]\nimages:\n  - url: {host.url}/pic.png\n---\n",
            encoding="utf-8",
        )
        out = tmp_path / "out"
        args = ["publish", "--config", str(cfg), "--target", str(out), "--quiet"]
        first, seconds = feedpub(*args)
        assert first.returncode == 3, first.stderr
        assert seconds < DEADLINE + SLACK
        assert first.stderr.splitlines() == [
            f"feedpub: error: image host {host.url}: still waiting for an answer at the deadline (publish.deadline: {DEADLINE} s)"
        ]
        assert host.wait_hung_up(1) == 1
        # Lock free, and the host that was too slow is not asked again for a day.
        second, _ = feedpub(*args)
        assert (second.returncode, second.stderr) == (0, "")
        assert host.accepted == 1
    # What a run without probing writes: the enclosure's type from its extension, length unknown.
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copytree(tmp_path / "site", plain / "site")
    clean, _ = feedpub("build", "--config", str(config(plain)), "--output", str(tmp_path / "clean"), "--quiet")
    assert clean.returncode == 0, clean.stderr
    assert tree(out) == tree(tmp_path / "clean")
    assert b'length="0" type="image/png"' in (out / "robots.xml").read_bytes()
