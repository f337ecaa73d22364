"""``topics`` overrides are checked once the articles are read: one that takes no topic is exit 2.

A config loads before any article is read, so an override's name can only be checked
against the topics after collecting: every command then refuses an override that names
neither a topic of the articles nor a topic definition, before anything is written, with
the closest topic name. Also here: values that must still load, and the run after a
refused config, which must equal a clean build byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from feedpub.config import Config, check_overrides
from feedpub.errors import ConfigError
from feedpub.records import Topic
from feedpub.topics import TopicIndex

from .configsite import make_site, run
from .processes import free_port


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


COMMANDS = {
    "build": ["build", "--output", "out", "--base-url", "https://feeds.test/"],
    "check": ["check"],
    "topics": ["topics"],
    "publish": ["publish", "--target", "out", "--base-url", "https://feeds.test/"],
    "serve": ["serve", "--port", "0"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_override_naming_no_topic_stops_every_command(tmp_path: Path, site: Path, command: str) -> None:
    (tmp_path / "feedpub.yaml").write_text("sources: [site]\ntopics:\n  Clmate: {max_items: 1}\n")
    p = run(*COMMANDS[command], cwd=tmp_path)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.splitlines() == [
        "feedpub: error: feedpub.yaml: topics.Clmate: no article or topic definition has this topic (did you mean 'Climate'?)"
    ]
    assert not (tmp_path / "out").exists()


def test_overrides_by_name_slug_or_definition_are_taken(tmp_path: Path, site: Path) -> None:
    (tmp_path / "feedpub.yaml").write_text(
        "sources: [site]\ntopics:\n  climate: {max_items: 1}\n  computer-vision: {min_quality: 90}\n  SPACE:\n"
    )
    p = run("topics", "--json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    items = {t["slug"]: t["items"] for t in json.loads(p.stdout)["topics"]}
    assert items["climate"] == 1 and items["computer-vision"] == 0 and items["space"] == 0
    assert run("check", "--quiet", cwd=tmp_path).returncode == 0


def test_an_override_by_a_definitions_id_says_to_name_the_topic(tmp_path: Path, site: Path) -> None:
    (site / "_data" / "topics" / "cv.yaml").write_text("_id: cv\nname: Computer Vision\n")
    (tmp_path / "feedpub.yaml").write_text("sources: [site]\ntopics:\n  cv: {max_items: 1}\n")
    p = run("check", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        "feedpub: error: feedpub.yaml: topics.cv: 'cv' is the file name of topic 'Computer Vision': name the topic instead"
    ]


def test_the_check_without_a_config_file() -> None:
    config = Config(overrides={"clmate": {"max_items": 1}})
    topics = TopicIndex({"climate": Topic(key="climate", name="Climate", slug="climate")})
    with pytest.raises(ConfigError, match=r"^topics.clmate: no article .* \(did you mean 'Climate'\?\)$"):
        check_overrides(config, topics)
    check_overrides(Config(overrides={"climate": {}}), topics)  # taken: nothing raised
    check_overrides(Config(), TopicIndex())


def test_the_run_after_a_refused_config_equals_a_clean_build(tmp_path: Path, site: Path) -> None:
    config = tmp_path / "feedpub.yaml"
    config.write_text("sources: [site]\noutput: out\ntopics:\n  Clmate: {max_items: 1}\n")
    assert run("build", "--quiet", cwd=tmp_path).returncode == 2
    assert not (tmp_path / "out").exists()
    config.write_text("sources: [site]\noutput: out\ntopics:\n  Climate: {max_items: 1}\n")
    assert run("build", "--quiet", cwd=tmp_path).returncode == 0
    assert run("build", "--quiet", "--no-cache", "--output", "clean", cwd=tmp_path).returncode == 0
    assert tree(tmp_path / "out") == tree(tmp_path / "clean")


def test_a_refused_value_leaves_the_last_build_alone(tmp_path: Path, site: Path) -> None:
    config = tmp_path / "feedpub.yaml"
    config.write_text("sources: [site]\noutput: out\nsite:\n  title: News\n")
    assert run("build", "--quiet", cwd=tmp_path).returncode == 0
    before = tree(tmp_path / "out")
    config.write_text('sources: [site]\noutput: out\nsite:\n  title: "News\\a"\n')
    assert run("build", "--quiet", cwd=tmp_path).returncode == 2
    assert tree(tmp_path / "out") == before
    config.write_text("sources: [site]\noutput: out\nsite:\n  title: News\n")
    assert run("build", "--quiet", cwd=tmp_path).returncode == 0
    assert run("build", "--quiet", "--no-cache", "--output", "clean", cwd=tmp_path).returncode == 0
    assert tree(tmp_path / "out") == tree(tmp_path / "clean") == before


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffsources: [site]\r\nsite:\r\n  title: Bom and CRLF\r\n",  # as Windows editors save
        "sources: site\n",  # one folder as text
        "sources: [site]\nsite:\n  description: |\n    Two lines\n    of description.\n",
        "sources: [site]\nsite:\n  link: null\n  logo: null\nselection:\n  max_age_days: null\npublish:\n  region: null\n",
        "sources: [site]\nsite:\n  title: 'Ünïcödé — ニュース ‏עברית'\n  language: pt-BR\n",
        "sources: [site]\ntopics:\n  Climate:\n",  # an override with no rules
        "sources: [site]\nselection:\n  max_items: 100000\n  max_age_days: 100000\n  min_quality: -5\n",
        "sources: [site]\npublish:\n  target: s3://feeds/news/\n  endpoint_url: http://127.0.0.1:8333\n  workers: 64\n",
        "",  # an empty file: every default
    ],
)
def test_good_values_still_load_and_build(tmp_path: Path, site: Path, text: str) -> None:
    (tmp_path / "feedpub.yaml").write_bytes(text.encode("utf-8"))
    p = run("build", "--source", str(site), "--output", "out", "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert (tmp_path / "out" / "climate.xml").is_file()


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (["--min-quality", "nan"], "--min-quality: expected a number, got nan"),
        (["--min-quality", "inf"], "--min-quality: expected a number, got inf"),
        (["--max-items", "1000000"], "--max-items: must be at most 100,000"),
    ],
)
def test_selection_flags_are_checked_as_the_config_keys_are(tmp_path: Path, site: Path, flag: list[str], message: str) -> None:
    p = run("build", "--source", str(site), *flag, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [f"feedpub: error: {message}"]


def wait_for(check: Callable[[], object], what: str) -> None:
    """Poll ``check`` until it is true; fail after a generous minute (the preview polls files)."""
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_serve_reports_an_override_that_lost_its_topic_and_keeps_serving(tmp_path: Path, site: Path) -> None:
    (tmp_path / "feedpub.yaml").write_text("sources: [site]\ntopics:\n  Computer Vision: {max_items: 5}\n")
    port = free_port()
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedpub", "serve", "--port", str(port)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}/"

    def get(name: str) -> requests.Response | None:
        try:
            return requests.get(base + name, timeout=5)
        except requests.ConnectionError:
            return None

    def errors() -> list[str]:
        return [line for line in log.read_text().splitlines() if line.startswith("feedpub: error:")]

    try:
        wait_for(lambda: (r := get("computer-vision.xml")) is not None and r.status_code == 200, "the first build")
        article = site / "_news" / "b.md"
        original = article.read_text()
        # The only Computer Vision article drops the topic: the override takes no topic now.
        article.write_text(original.replace("Computer Vision, Climate", "Climate"))
        wait_for(errors, "the failed rebuild's message")
        r = get("computer-vision.xml")
        assert r is not None and r.status_code == 200  # the last good build is still served
        article.write_text(original.replace("Cameras see", "Cameras see again"))
        wait_for(lambda: (r := get("computer-vision.xml")) is not None and b"Cameras see again" in r.content, "the rebuild")
        assert proc.poll() is None  # still serving
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "Traceback" not in log.read_text()
    assert errors() == [
        "feedpub: error: feedpub.yaml: topics.Computer Vision: no article or topic definition has this topic;"
        " still serving the last build"
    ]
