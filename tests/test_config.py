"""Every config default has one home (the dataclasses in config.py), and the README shows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from feedpub import config_values
from feedpub.config import Config, DigestSettings, ProbeSettings, PublishSettings, load_config
from feedpub.errors import ConfigError

from .conftest import REPO


def readme_config() -> dict[str, Any]:
    """The YAML block of the README's "Configuration" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Configuration\n") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the Configuration section has no yaml block"
    return yaml.safe_load(block.group(1))


def test_paths_are_relative_to_the_config_folder_defaults_included(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "feedpub.yaml"
    path.parent.mkdir()
    path.write_text("publish:\n  target: ../site\nprobe:\n  enabled: true\n", encoding="utf-8")
    config = load_config(path)
    assert config.publish.target == str(tmp_path / "site")
    assert config.image_probe.enabled
    assert config.image_probe.cache == tmp_path / "conf" / ".feedpub-cache" / "images.json"
    assert load_config(None).image_probe.cache == Path(".feedpub-cache/images.json")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("publish:\n  workers: 0\n", "publish.workers: must be at least 1"),
        ("publish:\n  workers: '8'\n", "publish.workers: expected a whole number, got str"),
        ("publish:\n  delete_stale: 1\n", "publish.delete_stale: expected true or false, got int"),
        ("publish:\n  max_deletes: -1\n", "publish.max_deletes: must not be negative"),
        ("publish:\n  lock_wait: true\n", "publish.lock_wait: expected a number of seconds, got True"),
        ("publish:\n  addressing_style: sideways\n", "publish.addressing_style: 'sideways': use auto, path or virtual"),
        ('publish:\n  cache_control: "a\\nb"\n', "publish.cache_control: 'a\\nb': must be one non-empty header value"),
        ("publish:\n  secret_access_key: x\n", "publish.secret_access_key: unknown key"),
        ("probe:\n  timeout: 0\n", "probe.timeout: must be more than 0"),
        ("probe:\n  max_age_days: -1\n", "probe.max_age_days: must not be negative"),
        ("probe:\n  max_per_run: 1.5\n", "probe.max_per_run: expected a whole number, got float"),
        ("probe:\n  cache: 7\n", "probe.cache: expected a file path, got int"),
        ("archive:\n  page_size: 0\n", "archive.page_size: must be at least 1"),
        ("archive:\n  enabled: yes please\n", "archive.enabled: expected true or false"),
        ("archive:\n  pages: 3\n", "archive.pages: unknown key"),
        ("digest:\n  days: 0\n", "digest.days: must be more than 0"),
        ("digest:\n  items: 1001\n", "digest.items: must be at most 1,000"),
        ("topics:\n  AI: {digest: {items: 0}}\n", "topics.AI.digest.items: must be at least 1"),
        ("topics:\n  AI: {digest: {top: 3}}\n", "topics.AI.digest.top: unknown key"),
        ("topics:\n  AI: {digest: 7}\n", "topics.AI.digest: expected a mapping"),
    ],
)
def test_bad_settings_name_the_file_and_the_key(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "feedpub.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_settings_are_checked_however_they_are_made() -> None:
    with pytest.raises(ConfigError, match=r"publish\.workers: must be at least 1"):
        PublishSettings(workers=0)
    with pytest.raises(ConfigError, match=r"probe\.max_age_days: must not be negative"):
        ProbeSettings(max_age_days=-1)


def test_lone_surrogates_are_refused_whichever_yaml_loader_built_the_text() -> None:
    # The C loader refuses a "\ud800" escape itself; the pure-Python one builds the
    # character, and the text check refuses it.
    with pytest.raises(ConfigError, match=r"^site.title: contains the control character U\+D800; remove it$"):
        config_values.name("a\ud800b", "site.title")
    built = yaml.load('title: "a\\ud800b"', Loader=yaml.SafeLoader)["title"]
    with pytest.raises(ConfigError, match="U\\+D800"):
        config_values.name(built, "site.title")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (lambda: PublishSettings(workers=65), "publish.workers: must be at most 64"),
        (lambda: PublishSettings(lock_wait=float("inf")), "publish.lock_wait: expected a number of seconds, got inf"),
        (lambda: PublishSettings(region="eu west"), "publish.region: 'eu west' is not a region name"),
        (lambda: ProbeSettings(timeout=0), "probe.timeout: must be more than 0"),
        (lambda: ProbeSettings(cache=7), "probe.cache: expected a file path, got int"),  # type: ignore[arg-type]
    ],
)
def test_settings_made_in_code_pass_the_same_checks(settings: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings()
    assert str(info.value).startswith(message)


def test_digest_default_and_per_topic_overrides(tmp_path: Path) -> None:
    path = tmp_path / "feedpub.yaml"
    path.write_text(
        "digest: {days: 3}\n"
        "topics:\n  AI: {digest: {items: 4}, max_items: 3}\n  Space: {digest: null}\n  Climate: {max_items: 2}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.digest_for("ai") == DigestSettings(enabled=True, days=3, items=4)  # a topic's section turns it on
    assert config.digest_for("climate") is None and config.digest_for("space") is None  # off by default
    assert config.rules_for("ai").max_items == 3  # the digest is not a selection rule
    assert config.extras() and not Config().extras()
    path.write_text("digest: {enabled: true}\ntopics:\n  Space: {digest: null}\n", encoding="utf-8")
    config = load_config(path)
    assert config.digest_for("climate") == DigestSettings(enabled=True) and config.digest_for("space") is None


def test_the_shipped_example_turns_archives_on() -> None:
    config = load_config(REPO / "config" / "feedpub.yaml")
    assert config.archive.enabled and not Config().archive.enabled
