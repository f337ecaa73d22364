"""``--json`` for monitoring: exactly one object on stdout, every documented key, every outcome.

Real runs of every command, successful and failed (a usage error, a config error, a
held lock, an S3 endpoint that is down), each checked against the schema the README
documents: every key present (null for a section the run did not reach, 0 for a count),
no key that is not documented.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from feedpub import __version__
from feedpub.publish.folder import FolderTarget
from feedpub.publish.lock import acquire_lock, lock_file

from .conftest import FIXTURE_SITE, REPO

COMMON = {"version", "command", "status", "error", "duration", "warnings"}
SECTIONS = {
    "build": {"articles", "topics", "timings", "cache", "output", "up_to_date"},
    "publish": {"articles", "topics", "timings", "cache", "publish"},
    "topics": {"articles", "topics", "timings", "cache"},
    "check": {"read", "accepted", "rejected"},
    "config": {"config_file", "config", "sources", "credential_variables"},
}
NESTED = {
    "error": {"message", "exit_status"},
    "articles": {"read", "accepted", "held_back", "rejected"},
    "articles.held_back": {"unpublished", "future", "too_old", "below_quality", "no_topics"},
    "rejected": {"path", "reason", "new"},
    "topics": {"name", "slug", "articles", "items", "newest", "held_back", "files"},
    "topics.held_back": {"unpublished", "future", "too_old", "below_quality"},
    "cache": {"folder", "hits", "parsed", "dropped", "feeds_reused", "feeds_rendered"},
    "output": {"folder", "written", "unchanged", "deleted"},
    "publish": {
        "target",
        "dry_run",
        "uploaded",
        "unchanged",
        "deleted",
        "failed",
        "websub_problems",
        "actions",
        "purged",
        "purge_problems",
    },
    "actions": {"action", "name", "location"},
    "target.az": {"kind", "container", "prefix", "endpoint"},
    "target.s3": {"kind", "bucket", "prefix", "endpoint"},
    "target.gs": {"kind", "bucket", "prefix", "endpoint"},
    "target.folder": {"kind", "path"},
}
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def documented_keys() -> set[str]:
    """Every quoted key in the README's ``--json`` bullet."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    bullet = text.split("- `--json` prints", 1)[1].split("Human-readable messages go to stderr.", 1)[0]
    return set(re.findall(r'"([a-z0-9_]+)"', bullet))


def test_the_readme_documents_every_key() -> None:
    keys = COMMON | set().union(*SECTIONS.values()) | set().union(*NESTED.values())
    assert keys <= documented_keys()
    assert documented_keys() - keys == {"s3", "gs", "az"}  # values: {"kind": "s3", ...}


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """A real run; (status, the one JSON object on stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "feedpub", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=180)
    report = json.loads(p.stdout)  # one document, nothing else on stdout
    assert isinstance(report, dict) and report["status"] == p.returncode
    assert "Traceback" not in p.stderr
    return p.returncode, report, p.stderr


def check_schema(report: dict[str, Any], status: int) -> None:
    """Every documented key and no other, at every level; the common keys' values."""
    command = report["command"]
    assert set(report) == COMMON | SECTIONS.get(command, set())
    assert report["version"] == __version__ and report["status"] == status
    assert isinstance(report["duration"], float) and report["duration"] >= 0
    assert isinstance(report["warnings"], list)
    if status in (0, 1):
        assert report["error"] is None
    else:
        assert set(report["error"]) == NESTED["error"] and report["error"]["exit_status"] == status
        assert report["error"]["message"]
    articles = report.get("articles")
    if articles is not None:
        assert set(articles) == NESTED["articles"]
        assert set(articles["held_back"]) == NESTED["articles.held_back"]
        assert all(isinstance(n, int) for n in articles["held_back"].values())
    for rejected in (articles or {}).get("rejected", []) + (report.get("rejected") or []):
        assert set(rejected) == NESTED["rejected"]
    for topic in report.get("topics") or []:
        assert set(topic) == NESTED["topics"] and set(topic["held_back"]) == NESTED["topics.held_back"]
        assert topic["newest"] is None or RFC3339.fullmatch(topic["newest"])
    if report.get("cache") is not None:
        assert set(report["cache"]) == NESTED["cache"]
    if report.get("output") is not None:
        assert set(report["output"]) == NESTED["output"]
    if report.get("publish") is not None:
        assert set(report["publish"]) == NESTED["publish"]
        target = report["publish"]["target"]
        assert set(target) == NESTED[f"target.{target['kind']}"]
        for action in report["publish"]["actions"]:
            assert set(action) == NESTED["actions"] and action["action"] in ("upload", "delete")


def build_args(out: Path, *extra: str) -> list[str]:
    return ["build", "--source", str(FIXTURE_SITE), "--output", str(out), "--base-url", "https://f.test/", "--json", *extra]


def test_build_success_and_its_up_to_date_replay(tmp_path: Path) -> None:
    _, first, _ = run(*build_args(tmp_path / "out"), cwd=tmp_path)
    check_schema(first, 0)
    assert first["command"] == "build" and first["up_to_date"] is False and first["warnings"] == []
    assert first["articles"]["held_back"] == {"unpublished": 1, "future": 0, "too_old": 0, "below_quality": 0, "no_topics": 0}
    assert [(t["slug"], t["items"], t["newest"]) for t in first["topics"]] == [
        ("home", 2, "2025-03-02T08:30:00Z"),
        ("robots", 2, "2025-03-02T08:30:00Z"),
        ("all", 2, "2025-03-02T08:30:00Z"),
    ]
    _, again, _ = run(*build_args(tmp_path / "out"), cwd=tmp_path)
    check_schema(again, 0)
    assert again["up_to_date"] is True and again["topics"] == first["topics"]
    assert list(again["timings"]) == ["up_to_date_check"]
    _, uncached, _ = run(*build_args(tmp_path / "out2", "--no-cache"), cwd=tmp_path)
    check_schema(uncached, 0)
    assert uncached["cache"] is None


@pytest.mark.parametrize(
    ("args", "command", "message"),
    [
        (["build", "--json", "--no-such-flag"], "build", "unrecognized arguments: --no-such-flag"),
        (["--json", "no-such-command"], None, "invalid choice: 'no-such-command'"),
        (["serve", "--json", "--source", "."], "serve", "unrecognized arguments: --json"),
        (["build", "--json", "--source", "missing"], "build", "missing: source folder not found"),
        (["check", "--json", "--source", "missing"], "check", "missing: source folder not found"),
        (["topics", "--json", "--config", "missing.yaml"], "topics", "missing.yaml: config file not found"),
        (["publish", "--json", "--source", "missing"], "publish", "missing: source folder not found"),
    ],
)
def test_usage_and_config_errors(tmp_path: Path, args: list[str], command: str | None, message: str) -> None:
    status, report, stderr = run(*args, cwd=tmp_path)
    assert status == 2
    check_schema(report, 2)
    assert report["command"] == command and message in report["error"]["message"]
    assert stderr == f"feedpub: error: {report['error']['message']}\n"  # the same one line
    for section in SECTIONS.get(command or "", ()):
        assert report[section] is (False if section == "up_to_date" else None)


def test_a_config_error_in_the_file(tmp_path: Path) -> None:
    config = tmp_path / "feedpub.yaml"
    config.write_text("site:\n  titel: typo\n", encoding="utf-8")
    _, report, _ = run(*build_args(tmp_path / "out", "--config", str(config)), cwd=tmp_path)
    check_schema(report, 2)
    assert "site.titel: unknown key" in report["error"]["message"] and report["articles"] is None


def test_check_and_topics(tmp_path: Path) -> None:
    _, checked, _ = run("check", "--source", str(FIXTURE_SITE), "--json", cwd=tmp_path)
    check_schema(checked, 1)
    assert (checked["command"], checked["read"], checked["accepted"]) == ("check", 4, 3)
    _, topics, _ = run("topics", "--source", str(FIXTURE_SITE), "--json", cwd=tmp_path)
    check_schema(topics, 0)
    assert [t["slug"] for t in topics["topics"]] == ["home", "robots", "all"]
    assert topics["cache"]["feeds_rendered"] is None  # topics renders nothing


def test_publish_to_a_folder_dry_run_and_lock_held(tmp_path: Path) -> None:
    target = tmp_path / "public"
    args = ["publish", "--source", str(FIXTURE_SITE), "--target", str(target), "--base-url", "https://f.test/", "--json"]
    status, done, _ = run(*args, cwd=tmp_path)
    check_schema(done, 0)
    assert done["publish"]["target"] == {"kind": "folder", "path": str(target)}
    assert "robots.xml" in done["publish"]["uploaded"] and done["publish"]["dry_run"] is False
    status, dry, _ = run(*args, "--dry-run", cwd=tmp_path)
    check_schema(dry, 0)
    assert dry["publish"]["dry_run"] is True and dry["publish"]["uploaded"] == []
    with acquire_lock(lock_file(FolderTarget(target).lock_key())):
        status, held, stderr = run(*args, cwd=tmp_path)
    assert status == 4
    check_schema(held, 4)
    assert "another feedpub run holds" in held["error"]["message"] and held["publish"] is None
    assert stderr.splitlines()[-1] == f"feedpub: error: {held['error']['message']}"


def test_publish_to_s3_and_to_a_stopped_endpoint(s3_env, bucket: str, tmp_path: Path) -> None:
    args = ["publish", "--source", str(FIXTURE_SITE), "--target", f"s3://{bucket}/news/", "--base-url", "https://f.test/"]
    status, done, _ = run(*args, "--json", cwd=tmp_path, env=os.environ.copy())
    assert status == 0
    check_schema(done, 0)
    target = done["publish"]["target"]
    assert target == {"kind": "s3", "bucket": bucket, "prefix": "news/", "endpoint": s3_env.endpoint}
    assert s3_env.secret_key not in json.dumps(done)
    s3_env.stop()
    try:
        status, failed, stderr = run(*args, "--json", cwd=tmp_path, env=os.environ.copy())
    finally:
        s3_env.start()
    assert status == 3
    check_schema(failed, 3)
    assert s3_env.endpoint in failed["error"]["message"] and stderr.endswith(f"feedpub: error: {failed['error']['message']}\n")
    assert failed["publish"]["target"] == target and failed["publish"]["uploaded"] == []
    assert failed["articles"]["read"] == 4  # what the run did before the target failed
    assert s3_env.secret_key not in json.dumps(failed) + stderr
