"""CDN purges after ``feedpub publish``: a real Varnish in front of the real S3 server,
and a recording HTTP server on 127.0.0.1 for exactly which requests were sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from ..s3server import S3Server, free_port
from ..test_cli_publish import public_read
from .slowhttp import slow
from .varnish import Varnish

ARTICLE = """---
title: "{title}"
publishedDateTime: 2025-03-0{day}T10:00:00Z
webUrl: "https://news.test/{slug}"
quality: 50
topics: [{topic}]
---
"""


def site(folder: Path, beta_title: str = "Beta news", *, with_gamma: bool = False) -> Path:
    """Articles in topics Alpha and Beta (and Gamma): editing Beta's leaves alpha.* as they were."""
    news = folder / "_news"
    news.mkdir(parents=True, exist_ok=True)
    (news / "a.md").write_text(ARTICLE.format(title="Alpha news", day=1, slug="a", topic="Alpha"), encoding="utf-8")
    (news / "b.md").write_text(ARTICLE.format(title=beta_title, day=2, slug="b", topic="Beta"), encoding="utf-8")
    gamma = news / "c.md"
    if with_gamma:
        gamma.write_text(ARTICLE.format(title="Gamma news", day=3, slug="c", topic="Gamma"), encoding="utf-8")
    elif gamma.exists():
        gamma.unlink()
    return folder


def config(folder: Path, target: str, purge: dict[str, Any] | None, **publish: Any) -> Path:
    path = folder / "feedpub.yaml"
    data: dict[str, Any] = {
        "site": {"base_url": "https://feeds.test/news/"},
        "sources": ["site"],
        "publish": {"target": target, **publish, **({"purge": purge} if purge else {})},
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def publish(conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedpub", "publish", "--config", str(conf), "--json", *args],
        capture_output=True,
        text=True,
        cwd=conf.parent,
        env=os.environ.copy(),
        timeout=180,
    )


class Recorder:
    """An HTTP server on 127.0.0.1 that records each request's method and path and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[str, str]] = []
        self.status = status
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def __getattr__(self, name: str) -> Any:
                if name.startswith("do_"):  # any method: PURGE, BAN, GET...
                    return self.answer
                raise AttributeError(name)

            def answer(self) -> None:
                recorder.requests.append((self.command, self.path))
                self.send_response(recorder.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def varnish(s3_env: S3Server, tmp_path: Path) -> Iterator[Varnish]:
    cache = Varnish(tmp_path / "varnish", int(s3_env.endpoint.rsplit(":", 1)[1]))
    yield cache
    cache.stop()


def test_after_a_publish_the_changed_feed_is_fresh_through_varnish_and_the_unchanged_one_still_cached(
    s3_env: S3Server, bucket: str, varnish: Varnish, tmp_path: Path
) -> None:
    public_read(s3_env, bucket)
    site(tmp_path / "site")
    conf = config(tmp_path, f"s3://{bucket}/news/", {"url": f"{varnish.url}/{bucket}/{{key}}"})
    p = publish(conf)
    assert p.returncode == 0, p.stderr
    first = json.loads(p.stdout)["publish"]
    assert first["purged"] == len(first["uploaded"]) and first["purge_problems"] == []

    def through_cache(name: str) -> requests.Response:
        return requests.get(f"{varnish.url}/{bucket}/news/{name}", timeout=10)

    for name in ("alpha.xml", "beta.xml"):
        assert through_cache(name).headers["X-Cache"] == "MISS"
        assert through_cache(name).headers["X-Cache"] == "HIT"  # cached for an hour by the VCL
    alpha_before = through_cache("alpha.xml").content

    site(tmp_path / "site", beta_title="Beta news, corrected")
    p = publish(conf)
    assert p.returncode == 0, p.stderr
    second = json.loads(p.stdout)["publish"]
    assert "beta.xml" in second["uploaded"] and "alpha.xml" in second["unchanged"]
    assert second["purged"] == len(second["uploaded"]) and second["purge_problems"] == []

    beta = through_cache("beta.xml")
    assert beta.headers["X-Cache"] == "MISS" and b"Beta news, corrected" in beta.content  # fresh from the store
    alpha = through_cache("alpha.xml")
    assert alpha.headers["X-Cache"] == "HIT" and int(alpha.headers["Age"]) >= 0 and alpha.content == alpha_before


def test_one_purge_per_uploaded_or_deleted_object_and_none_when_nothing_changed(
    s3_env: S3Server, bucket: str, recorder: Recorder, tmp_path: Path
) -> None:
    site(tmp_path / "site", with_gamma=True)
    purge = {"url": f"{recorder.url}/cdn/{{key}}?from={{name}}", "method": "BAN", "workers": 2}
    conf = config(tmp_path, f"s3://{bucket}/news/", purge, delete_stale=True)
    p = publish(conf)
    assert p.returncode == 0, p.stderr
    first = json.loads(p.stdout)["publish"]
    assert sorted(recorder.requests) == sorted(("BAN", f"/cdn/news/{n}?from={n}") for n in first["uploaded"])
    assert first["purged"] == len(first["uploaded"]) > 0

    recorder.requests.clear()
    p = publish(conf)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["publish"]["uploaded"] == [] and recorder.requests == []

    site(tmp_path / "site")  # Gamma's only article gone: its feeds are stale and deleted
    p = publish(conf)
    assert p.returncode == 0, p.stderr
    third = json.loads(p.stdout)["publish"]
    assert {"gamma.xml", "gamma.atom", "gamma.json"} <= set(third["deleted"])
    changed = [*third["uploaded"], *third["deleted"]]
    assert sorted(recorder.requests) == sorted(("BAN", f"/cdn/news/{n}?from={n}") for n in changed)
    assert "/cdn/news/alpha.xml?from=alpha.xml" not in [path for _, path in recorder.requests]


def test_a_failing_purge_is_reported_without_secrets_and_the_publish_succeeds(tmp_path: Path) -> None:
    site(tmp_path / "site")
    closed = free_port()
    url = f"http://cdn-user:s3cret-pass@127.0.0.1:{closed}/{{key}}?token=t0ken-value"
    conf = config(tmp_path, str(tmp_path / "out"), {"url": url, "timeout": 2})
    p = publish(conf)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    problems = report["publish"]["purge_problems"]
    assert problems and report["publish"]["purged"] == 0
    assert (tmp_path / "out" / "alpha.xml").is_file()  # published all the same
    assert f"127.0.0.1:{closed}/" in problems[0] and "cannot connect" in problems[0]
    everything = p.stdout + p.stderr
    assert "s3cret-pass" not in everything and "t0ken-value" not in everything and "cdn-user" not in everything
    assert "Traceback" not in p.stderr
    # Many failures with one cause: one line with the count, not one per object.
    assert len(problems) == 1 and f"of {len(report['publish']['uploaded'])} requests failed" in problems[0]
    assert p.stderr.strip().splitlines() == [f"feedpub: {problem}" for problem in problems]


def test_a_cache_that_refuses_is_named_with_its_answer(tmp_path: Path) -> None:
    refusing = Recorder(status=405)
    try:
        site(tmp_path / "site")
        conf = config(tmp_path, str(tmp_path / "out"), {"url": f"{refusing.url}/{{name}}"})
        p = publish(conf, "--no-cache")
    finally:
        refusing.close()
    assert p.returncode == 0, p.stderr
    problems = json.loads(p.stdout)["publish"]["purge_problems"]
    assert problems and all("answered 405" in line for line in problems)


def test_a_dry_run_purges_nothing(recorder: Recorder, tmp_path: Path) -> None:
    site(tmp_path / "site")
    conf = config(tmp_path, str(tmp_path / "out"), {"url": f"{recorder.url}/{{key}}"})
    p = publish(conf, "--dry-run")
    assert p.returncode == 0, p.stderr
    assert recorder.requests == [] and json.loads(p.stdout)["publish"]["purged"] == 0


@pytest.mark.parametrize(
    ("purge", "message"),
    [
        ({"url": "http://cache:6081/feeds/"}, "publish.purge.url: 'http://cache:6081/feeds/' holds no {key}"),
        ({"url": "ftp://cache/{key}"}, "publish.purge.url: not an absolute http(s) URL"),
        ({"url": "http://cache/{slug}/{key}"}, "only {key} and {name} may stand in braces"),
        ({"url": "http://cache/{key}", "method": "PUR GE"}, "publish.purge.method: 'PUR GE' is not an HTTP method"),
        ({"url": "http://cache/{key}", "timeout": 0}, "publish.purge.timeout: must be more than 0"),
        ({"url": "http://cache/{key}", "timeout": 61}, "publish.purge.timeout: must be at most 60"),
        ({"url": "http://cache/{key}", "workers": 65}, "publish.purge.workers: must be at most 64"),
        ({"url": "http://u:pw-s3cret@cache/?t=tok-s3cret"}, "publish.purge.url: 'http://cache/' holds no {key}"),
        ({"method": "PURGE"}, "publish.purge.url: required"),
        ({"url": "http://cache/{key}", "secret": "x"}, "publish.purge.secret: unknown key"),
    ],
)
def test_bad_purge_settings_exit_2_with_one_line(tmp_path: Path, purge: dict[str, Any], message: str) -> None:
    site(tmp_path / "site")
    conf = config(tmp_path, str(tmp_path / "out"), purge)
    p = publish(conf)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"feedpub: error: {conf}: ") and message in lines[0]
    assert "s3cret" not in p.stderr + p.stdout  # a URL's credentials never show, not even in a config error
    assert not (tmp_path / "out").exists()


def test_a_cache_that_never_answers_is_cut_at_the_purge_timeout(tmp_path: Path) -> None:
    with slow("stall") as cache:
        site(tmp_path / "site")
        conf = config(tmp_path, str(tmp_path / "out"), {"url": f"{cache.url}/{{name}}", "timeout": 1, "workers": 2})
        p = publish(conf, "--no-cache")
        assert cache.wait_hung_up(1) >= 1  # each purge was cut, not left waiting in a stray thread
    assert p.returncode == 0, p.stderr
    problems = json.loads(p.stdout)["publish"]["purge_problems"]
    assert problems and all("no complete answer within 1 s" in line for line in problems)


def test_a_failed_publish_purges_nothing(recorder: Recorder, tmp_path: Path) -> None:
    site(tmp_path / "site")
    (tmp_path / "out").write_text("a file where the output folder should be")
    conf = config(tmp_path, str(tmp_path / "out"), {"url": f"{recorder.url}/{{key}}"})
    p = publish(conf)
    assert p.returncode == 3
    assert recorder.requests == [] and json.loads(p.stdout)["publish"]["purge_problems"] == []
