"""The feedpub command as a user runs it: exit statuses, messages, JSON summary."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub.cli import main, make_parser
from feedpub.errors import ConfigError

from .conftest import FIXTURE_SITE, REPO


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedpub", *args], capture_output=True, text=True, cwd=cwd or Path.cwd(), timeout=120
    )


def test_build_json_summary(tmp_path: Path) -> None:
    p = run("build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path), "--base-url", "https://f.test/", "--json")
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["articles"]["read"] == 4
    assert summary["articles"]["accepted"] == 3
    assert summary["articles"]["held_back"] == {
        "unpublished": 1, "future": 0, "too_old": 0, "below_quality": 0, "no_topics": 0
    }  # fmt: skip
    [rejected] = summary["articles"]["rejected"]
    assert rejected["path"].endswith("2025-03-04-broken.md")
    assert "webUrl" in rejected["reason"]
    topics = {t["slug"]: t for t in summary["topics"]}
    assert topics["robots"]["files"] == ["robots.xml", "robots.atom", "robots.json"]
    assert topics["robots"]["items"] == 2 and topics["robots"]["name"] == "Robots"
    assert set(summary["timings"]) >= {"collect", "render"}
    assert "2025-03-04-broken.md" in p.stderr  # the rejection is reported on stderr too
    assert (tmp_path / "robots.xml").is_file() and (tmp_path / "index.opml").is_file()


def test_second_build_is_byte_identical_and_writes_nothing(tmp_path: Path) -> None:
    args = ["build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path), "--quiet"]
    assert main(args) == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert main(args) == 0
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert before == after


def test_default_base_url_notice(tmp_path: Path) -> None:
    p = run("build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path))
    assert p.returncode == 0
    assert "http://127.0.0.1:8000/" in p.stderr
    assert b"http://127.0.0.1:8000/robots.xml" in (tmp_path / "robots.xml").read_bytes()


def test_strict_exits_1_on_rejections(tmp_path: Path) -> None:
    p = run("build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path), "--strict", "--quiet")
    assert p.returncode == 1
    assert (tmp_path / "robots.xml").is_file()  # feeds are still written


def test_check_lists_problems(tmp_path: Path) -> None:
    p = run("check", "--source", str(FIXTURE_SITE))
    assert p.returncode == 1
    assert "2025-03-04-broken.md: missing required field 'webUrl'" in p.stdout
    assert "Traceback" not in p.stderr


def test_topics_table() -> None:
    p = run("topics", "--source", str(FIXTURE_SITE), "--min-quality", "50")
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["TOPIC", "SLUG", "ARTICLES", "SELECTED", "FEED"]
    robots = next(line for line in lines if line.startswith("Robots"))
    assert robots.split() == ["Robots", "robots", "3", "1", "robots.xml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["build", "--source", "does-not-exist"], "does-not-exist: source folder not found"),
        (["build", "--base-url", "ftp://x"], "--base-url: not an absolute http(s) URL"),
        (["build", "--config", "missing.yaml"], "missing.yaml: config file not found"),
        (["build", "--max-items", "0", "--source", "."], "--max-items: must be at least 1"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    p = run(*args, cwd=tmp_path)
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_config_errors_name_file_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text("site:\n  titel: typo\n")
    p = run("build", "--config", str(cfg), "--source", str(FIXTURE_SITE))
    assert p.returncode == 2 and f"{cfg}: site.titel: unknown key" in p.stderr
    cfg.write_text("selection:\n  max_items: many\n")
    p = run("build", "--config", str(cfg), "--source", str(FIXTURE_SITE))
    assert p.returncode == 2 and "selection.max_items: expected a whole number" in p.stderr
    cfg.write_text("site: [unclosed\n")
    p = run("build", "--config", str(cfg), "--source", str(FIXTURE_SITE))
    assert p.returncode == 2 and "not valid YAML" in p.stderr


def test_per_topic_overrides_and_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text(f"sources: [{FIXTURE_SITE}]\nselection:\n  min_quality: 0\ntopics:\n  robots:\n    min_quality: 60\n")
    out = tmp_path / "out"
    p = run("build", "--config", str(cfg), "--output", str(out), "--json", "--quiet")
    topics = {t["slug"]: t["items"] for t in json.loads(p.stdout)["topics"]}
    assert topics["robots"] == 1 and topics["home"] == 2
    p = run(
        "build", "--config", str(cfg), "--output", str(out), "--json", "--quiet", "--min-quality", "0", "--include-unpublished"
    )
    topics = {t["slug"]: t["items"] for t in json.loads(p.stdout)["topics"]}
    assert topics["robots"] == 3


def test_embedded_default_runs_from_the_repo(tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = run("build", "--output", str(out), "--quiet", cwd=REPO)
    assert p.returncode == 0, p.stderr
    assert {"space.xml", "space.atom", "climate.xml", "open-source.xml", "index.opml", "all.xml"} <= {
        x.name for x in out.iterdir()
    }


def test_file_names_that_are_not_utf8_are_reported_not_fatal(tmp_path: Path) -> None:
    news = tmp_path / "site" / "_news"
    news.mkdir(parents=True)
    with open(os.path.join(os.fsencode(news), b"bad-\xff.md"), "wb") as fh:
        fh.write(b"---\ntitle: x\n---\n")
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")
    p = subprocess.run(
        [sys.executable, "-m", "feedpub", "check", "--source", str(tmp_path / "site"), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert p.returncode == 1 and "Traceback" not in p.stderr
    [rejected] = json.loads(p.stdout)["rejected"]
    assert rejected["path"].endswith(".md") and "bad-" in rejected["path"]


def _readme_synopsis() -> dict[str, set[str]]:
    """The flags the README's command synopsis gives each command ("" for ``feedpub`` itself)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("\n## Commands\n", 1)[1].split("```\n", 2)[1]
    flags: dict[str, set[str]] = {}
    command = None
    for line in block.splitlines():
        if line.startswith("feedpub "):
            word = line.split()[1]
            command = "" if word.startswith("-") else word
            assert command not in flags, f"README synopsis lists {command or 'feedpub'} twice"
            flags[command] = set()
        assert command is not None, f"README synopsis line before any command: {line!r}"
        flags[command] |= set(re.findall(r"(?<![\w/-])--?[a-zA-Z][a-z-]*", line))
    return flags


def _parser_flags() -> dict[str, set[str]]:
    """The flags argparse accepts for each command ("" for ``feedpub`` itself), help aside."""

    def options(p: argparse.ArgumentParser) -> set[str]:
        return {o for a in p._actions for o in a.option_strings if not isinstance(a, argparse._HelpAction)}

    parser = make_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    flags = {name: options(p) for name, p in sub.choices.items()}
    flags[""] = options(parser)
    return flags


def test_readme_synopsis_lists_exactly_the_flags_each_command_takes() -> None:
    readme, parser = _readme_synopsis(), _parser_flags()
    assert set(readme) == set(parser)
    for command in parser:
        name = command or "feedpub"
        assert readme[command] - parser[command] == set(), f"README offers flags {name} does not take"
        assert parser[command] - readme[command] == set(), f"{name} takes flags the README does not list"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--strict"],
        ["topics", "--strict"],
        ["serve", "--json"],
        ["serve", "--quiet"],
        ["serve", "--verbose"],
        ["serve", "--strict"],
    ],
)
def test_flags_that_would_change_nothing_are_not_offered(args: list[str]) -> None:
    # Parsed only: were the flag accepted, ``serve`` would go on serving.
    with pytest.raises(ConfigError, match=f"unrecognized arguments: {args[1]}"):
        make_parser().parse_args([*args, "--source", str(FIXTURE_SITE)])
