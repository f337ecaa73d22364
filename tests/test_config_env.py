"""``FEEDPUB_<SECTION>_<KEY>`` variables: every key, the file's checks, precedence, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from feedpub import config_env, config_template
from feedpub.config import load_config
from feedpub.errors import ConfigError

from .configsite import make_site
from .console import feedpub


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder with articles in news/ and a config/feedpub.yaml naming them and a title."""
    make_site(tmp_path / "news")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "feedpub.yaml").write_text(
        "site:\n  title: From the file\nsources: [../news]\noutput: ../out\n", encoding="utf-8"
    )
    return tmp_path


def _title(site: Path) -> str:
    feed = feedparser.parse((site / "out" / "climate.xml").read_bytes())
    assert not feed.bozo
    return str(feed.feed.title)


def _self_link(site: Path) -> str:
    feed = feedparser.parse((site / "out" / "climate.atom").read_bytes())
    return next(link.href for link in feed.feed.links if link.rel == "self")


def test_env_overrides_the_file_and_flags_override_env(site: Path) -> None:
    assert feedpub("build", "--quiet", cwd=site).returncode == 0
    assert _title(site) == "From the file: Climate"
    assert _self_link(site) == "http://127.0.0.1:8000/climate.atom"  # the default
    env = {"FEEDPUB_SITE_TITLE": "From the env", "FEEDPUB_SITE_BASE_URL": "https://env.test/feeds/"}
    done = feedpub("build", "--quiet", cwd=site, env=env)
    assert done.returncode == 0, done.stderr
    assert _title(site) == "From the env: Climate" and _self_link(site) == "https://env.test/feeds/climate.atom"
    done = feedpub("build", "--quiet", "--base-url", "https://flag.test/", cwd=site, env=env)
    assert done.returncode == 0, done.stderr
    assert _title(site) == "From the env: Climate" and _self_link(site) == "https://flag.test/climate.atom"


def test_a_changed_variable_is_never_answered_from_the_up_to_date_stamp(site: Path) -> None:
    for title in ("One", "Two", "One"):
        done = feedpub("build", "--json", "--quiet", cwd=site, env={"FEEDPUB_SITE_TITLE": title})
        assert done.returncode == 0, done.stderr
        assert _title(site) == f"{title}: Climate"
    again = feedpub("build", "--json", "--quiet", cwd=site, env={"FEEDPUB_SITE_TITLE": "One"})
    assert json.loads(again.stdout)["up_to_date"] is True  # the same variables: the stamp applies


def test_env_values_are_yaml_values(site: Path) -> None:
    env = {
        "FEEDPUB_SELECTION_MAX_ITEMS": "1",
        "FEEDPUB_FORMATS": "[rss]",
        "FEEDPUB_SITE_FEED_ENABLED": "false",
        "FEEDPUB_SITE_DESCRIPTION": "",  # empty: null, the default
        "FEEDPUB_TOPICS": "{Climate: {min_quality: 99}}",
    }
    done = feedpub("build", "--json", "--quiet", cwd=site, env=env)
    assert done.returncode == 0, done.stderr
    topics = {t["slug"]: t for t in json.loads(done.stdout)["topics"]}
    assert set(topics) == {"climate", "computer-vision", "space"}  # no site feed
    assert topics["climate"]["items"] == 0 and topics["computer-vision"]["items"] == 1
    assert topics["computer-vision"]["files"] == ["computer-vision.xml"]


def test_without_a_config_file_env_alone_configures(tmp_path: Path) -> None:
    make_site(tmp_path / "news")
    done = feedpub("build", "--quiet", cwd=tmp_path, env={"FEEDPUB_SOURCES": "[news]", "FEEDPUB_OUTPUT": "public"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "public" / "climate.xml").is_file()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FEEDPUB_SELECTION_MIN_QUALITY", "high", "FEEDPUB_SELECTION_MIN_QUALITY: expected a number, got str 'high'"),
        ("FEEDPUB_PUBLISH_WORKERS", "0", "FEEDPUB_PUBLISH_WORKERS: must be at least 1"),
        ("FEEDPUB_FORMATS", "[rss, gopher]", "FEEDPUB_FORMATS[1]: 'gopher': use rss, atom or json"),
        ("FEEDPUB_SITE_BASE_URL", "ftp://x/", "FEEDPUB_SITE_BASE_URL: not an absolute http(s) URL: 'ftp://x/'"),
        ("FEEDPUB_SITE_TITLE", "a\x07b", "FEEDPUB_SITE_TITLE: not a valid YAML value: unacceptable character #x0007"),
        ("FEEDPUB_SITE_TITLE", '"a\\x07b"', "FEEDPUB_SITE_TITLE: contains the control character U+0007; remove it"),
        ("FEEDPUB_SITE_TITLE", "A title", None),  # a good value: the run goes on
        ("FEEDPUB_SOURCES", "[unclosed", "FEEDPUB_SOURCES: not a valid YAML value"),
        ("FEEDPUB_SITE_LANGUAGE", "&a x", "FEEDPUB_SITE_LANGUAGE: YAML anchors (&a) are not allowed"),
        ("FEEDPUB_DIRECTORY", "maybe", "FEEDPUB_DIRECTORY: expected true or false, got str 'maybe'"),
    ],
)
@pytest.mark.parametrize("command", ["build", "check", "topics", "config"])
def test_a_bad_value_is_one_line_naming_the_variable(
    site: Path, command: str, name: str, value: str, message: str | None
) -> None:
    done = feedpub(command, cwd=site, env={name: value})
    if message is None:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"feedpub: error: {message}"), line
    assert not (site / "out").exists()


def test_a_topics_override_matching_no_topic_names_the_variable(site: Path) -> None:
    done = feedpub("build", cwd=site, env={"FEEDPUB_TOPICS": "{Clmate: {max_items: 2}}"})
    assert done.returncode == 2
    assert [line for line in done.stderr.splitlines() if "error" in line] == [
        "feedpub: error: FEEDPUB_TOPICS: topics.Clmate: no article or topic definition has this topic (did you mean 'Climate'?)"
    ]


def test_an_unknown_variable_is_one_warning_and_the_run_goes_on(site: Path) -> None:
    done = feedpub("build", cwd=site, env={"FEEDPUB_SITE_TITEL": "typo"})
    assert done.returncode == 0
    warnings = [line for line in done.stderr.splitlines() if "FEEDPUB_SITE_TITEL" in line]
    assert warnings == ["feedpub: FEEDPUB_SITE_TITEL: no such config key; ignored (did you mean FEEDPUB_SITE_TITLE?)"]
    assert "typo" not in done.stderr
    assert _title(site) == "From the file: Climate"
    quiet = feedpub("build", "--json", "--quiet", cwd=site, env={"FEEDPUB_SITE_TITEL": "typo"})
    assert json.loads(quiet.stdout)["warnings"] == [warnings[0].removeprefix("feedpub: ")]


@pytest.mark.parametrize("key", config_template.key_paths(), ids=config_template.dotted)
def test_every_key_has_a_variable_that_reaches_its_check(tmp_path: Path, key: tuple[str, ...]) -> None:
    # A mapping is no key's value (topics takes one, but not a number as a topic's rules).
    name = config_template.env_name(key)
    env = config_env.read({name: "{x: 1}"})
    assert env.names == {key: name} and env.unknown == ()
    with pytest.raises(ConfigError) as caught:
        load_config(None, env)
    assert str(caught.value).startswith(f"{name}")


def test_env_applies_inside_the_files_sections_and_leaves_a_bad_section_to_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "feedpub.yaml"
    path.write_text("publish:\n  workers: 3\n  max_deletes: 2\n", encoding="utf-8")
    config = load_config(path, config_env.read({"FEEDPUB_PUBLISH_WORKERS": "5"}))
    assert (config.publish.workers, config.publish.max_deletes) == (5, 2)
    path.write_text("publish: nope\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feedpub\.yaml: publish: expected a mapping, got str"):
        load_config(path, config_env.read({"FEEDPUB_PUBLISH_WORKERS": "5"}))


@pytest.mark.parametrize(
    ("name", "hint"),
    [("FEEDPUB_TARGET", " (did you mean FEEDPUB_PUBLISH_TARGET?)"),
     ("FEEDPUB_PROBE_ENABLE", " (did you mean FEEDPUB_PROBE_ENABLED?)"),
     ("FEEDPUB_PUBLISH_SECRET_ACCESS_KEY", "")],
)  # fmt: skip
def test_the_warning_hints_at_the_variable_meant(name: str, hint: str) -> None:
    assert config_env.unknown_warning(name) == f"{name}: no such config key; ignored{hint}"


def test_the_test_suites_own_switches_are_not_config() -> None:
    assert config_env.read({"FEEDPUB_UPDATE_GOLDEN": "1", "HOME": "x"}) == config_env.EnvOverrides()
