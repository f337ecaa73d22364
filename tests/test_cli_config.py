"""``feedpub config``: the effective configuration, where each value came from, and no secret."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from feedpub import config_template

from .configsite import make_site
from .console import feedpub

SECRET = "fake-secret-4711"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    make_site(tmp_path / "news")
    (tmp_path / "feedpub.yaml").write_text(
        "site:\n  title: From the file\n  language: de\nsources: [news]\npublish:\n  workers: 3\n", encoding="utf-8"
    )
    return tmp_path


def _comments(text: str) -> dict[str, str]:
    """Each line's key (dotted) -> the source its comment names."""
    out: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        body, _, comment = line.partition("  # ")
        name = body.strip().split(":")[0]
        if not line.startswith(" "):
            section = name
        key = f"{section}.{name}" if line.startswith(" ") else name
        if comment:
            out[key] = comment.strip()
    return out


def test_yaml_shows_each_value_and_where_it_came_from(site: Path) -> None:
    env = {"FEEDPUB_SITE_TITLE": "From the env", "FEEDPUB_SELECTION_MAX_ITEMS": "7"}
    done = feedpub("config", "--output", "public", "--max-items", "5", cwd=site, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    values = yaml.safe_load(done.stdout)
    assert values["site"]["title"] == "From the env" and values["site"]["language"] == "de"
    assert values["output"] == str(site / "public") and values["selection"]["max_items"] == 5
    assert values["publish"]["workers"] == 3 and values["publish"]["deadline"] == 600
    sources = _comments(done.stdout)
    assert sources["site.title"] == "env FEEDPUB_SITE_TITLE"
    assert sources["site.language"] == "file feedpub.yaml"
    assert sources["output"] == "flag --output"
    assert sources["selection.max_items"] == "flag --max-items"  # the flag beats the variable
    assert sources["publish.deadline"] == "default"
    assert set(sources) == {config_template.dotted(k) for k in config_template.key_paths()}


def test_json_has_the_values_and_a_sources_map(site: Path) -> None:
    done = feedpub("config", "--json", cwd=site, env={"FEEDPUB_PUBLISH_TARGET": "s3://feeds/news/"})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["command"] == "config" and report["status"] == 0 and report["error"] is None
    assert report["config_file"] == "feedpub.yaml"
    assert report["config"]["publish"]["target"] == "s3://feeds/news/"
    assert report["sources"]["publish.target"] == "env FEEDPUB_PUBLISH_TARGET"
    assert report["sources"]["site.title"] == "file feedpub.yaml"
    assert report["sources"]["probe.timeout"] == "default"
    assert report["config"]["sources"] == ["news"]


def test_without_a_config_file_the_defaults_show(tmp_path: Path) -> None:
    done = feedpub("config", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["config_file"] is None and set(report["sources"].values()) == {"default"}
    assert report["config"]["sources"] == [] and report["config"]["output"] == "output"
    assert report["config"]["site"]["title"] == "feedpub"


def test_the_yaml_printed_is_a_config_that_gives_the_same_values(site: Path) -> None:
    first = feedpub("config", cwd=site, env={"FEEDPUB_SITE_BASE_URL": "https://feeds.test/"})
    (site / "again.yaml").write_text(first.stdout, encoding="utf-8")
    second = feedpub("config", "--config", "again.yaml", "--json", cwd=site)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["config"] == yaml.safe_load(first.stdout)


def test_a_bad_value_anywhere_is_the_error_a_run_gives(site: Path) -> None:
    done = feedpub("config", "--max-items", "0", cwd=site)
    assert done.returncode == 2 and done.stderr == "feedpub: error: --max-items: must be at least 1\n"
    done = feedpub("config", "--target", "ftp://b/", cwd=site)
    assert done.returncode == 2 and "--target: unsupported target scheme ftp://" in done.stderr


def test_no_secret_is_ever_printed(site: Path) -> None:
    (site / "feedpub.yaml").write_text(
        f"sources: [news]\nwebsub:\n  hubs: ['https://hub.test/publish?token={SECRET}&x=1']\n", encoding="utf-8"
    )
    env = {
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_ACCESS_KEY_ID": SECRET,
        "FEEDPUB_PUBLISH_SECRET_ACCESS_KEY": SECRET,  # names no key: warned, value not shown
    }
    shown = feedpub("config", cwd=site, env=env)
    as_json = feedpub("config", "--json", cwd=site, env=env)
    for done in (shown, as_json):
        assert done.returncode == 0, done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "FEEDPUB_PUBLISH_SECRET_ACCESS_KEY: no such config key" in done.stderr
    assert "https://hub.test/publish?token=<redacted>&x=1" in shown.stdout
    [aws] = [line for line in shown.stdout.splitlines() if line.startswith("# credentials: the AWS chain")]
    assert "AWS_ACCESS_KEY_ID" in aws and "AWS_SECRET_ACCESS_KEY" in aws and aws.endswith("set; values never shown)")
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(json.loads(as_json.stdout)["credential_variables"])
    # A secret in a value that is refused is not repeated by the error either.
    bad = feedpub("config", cwd=site, env={"FEEDPUB_PUBLISH_ENDPOINT_URL": f"https://user:{SECRET}@s3.test/"})
    assert bad.returncode == 2 and SECRET not in bad.stderr
    assert (
        bad.stderr == "feedpub: error: FEEDPUB_PUBLISH_ENDPOINT_URL: not an absolute http(s) URL: 'https://<redacted>@s3.test/'\n"
    )


def test_config_offers_only_the_flags_that_change_the_config(tmp_path: Path) -> None:
    for flag in ("--quiet", "--strict", "--no-cache", "--port", "--dry-run"):
        done = feedpub("config", flag, cwd=tmp_path)
        assert done.returncode == 2 and f"unrecognized arguments: {flag}" in done.stderr, flag


def test_relative_paths_are_shown_as_the_file_holds_them(site: Path) -> None:
    done = feedpub("config", "--json", "--source", "news", cwd=site)
    report = json.loads(done.stdout)
    assert report["config"]["sources"] == [os.path.join(str(site), "news")]  # a flag: made absolute
    assert report["sources"]["sources"] == "flag --source"
