"""The config template is the one list of keys: the README shows it, the loader takes exactly
its keys, and its values are the dataclass defaults.

So a key added to a dataclass (or to the loader) but not to the template fails here, as
does a template value that is not the default: adding a key means adding it to its
dataclass and to ``config_template.yaml``, and nothing else.
"""

from __future__ import annotations

import os
import re
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from feedpub import config_template
from feedpub.config import Config, load_config
from feedpub.errors import ConfigError

from .conftest import REPO

TEMPLATE = config_template.values()
SECTIONS = [()] + [(name,) for name, value in TEMPLATE.items() if isinstance(value, dict) and value]
FREE_FORM = [(name,) for name, value in TEMPLATE.items() if value == {}]


def test_the_readme_configuration_block_is_the_template_text() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Configuration\n") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the Configuration section has no yaml block"
    assert block.group(1) == config_template.text()


def _known(tmp_path: Path, section: tuple[str, ...]) -> set[str]:
    """The keys the loader takes in ``section``, as its unknown-key message lists them."""
    doc: dict[str, Any] = {"zz_not_a_key": 1}
    for name in reversed(section):
        doc = {name: doc}
    path = tmp_path / "feedpub.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key") as caught:
        load_config(path)
    listed = re.search(r"\(known: (.*)\)$", str(caught.value))
    assert listed is not None, str(caught.value)
    return set(listed.group(1).split(", "))


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: ".".join(s) or "top")
def test_the_template_has_every_key_the_loader_takes(tmp_path: Path, section: tuple[str, ...]) -> None:
    node: Any = TEMPLATE
    for name in section:
        node = node[name]
    assert set(node) == _known(tmp_path, section)


@pytest.mark.parametrize("section", FREE_FORM, ids=lambda s: ".".join(s))
def test_an_empty_template_section_is_the_users_own_keys(tmp_path: Path, section: tuple[str, ...]) -> None:
    # topics: any topic name is a key (checked against the articles later, not at load).
    path = tmp_path / "feedpub.yaml"
    path.write_text(yaml.safe_dump({section[0]: {"Some Topic": {}}}), encoding="utf-8")
    load_config(path)


def _resolved(value: Any, here: Path) -> Any:
    """A Config as comparable data: paths made absolute against ``here``, the file's own path left out."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _resolved(getattr(value, f.name), here) for f in fields(value) if f.name != "path"}
    if isinstance(value, Path):
        return os.path.normpath(here / value)
    if isinstance(value, tuple | list):
        return [_resolved(v, here) for v in value]
    return value


def test_the_template_values_are_the_dataclass_defaults(tmp_path: Path) -> None:
    values = config_template.values()
    for key in config_template.LAYOUT:  # the folders `init` makes, not defaults: left out
        node = values
        for name in key[:-1]:
            node = node[name]
        del node[key[-1]]
    path = tmp_path / "feedpub.yaml"
    path.write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    assert _resolved(load_config(path), tmp_path) == _resolved(Config(), tmp_path)


def test_a_value_unlike_the_default_would_be_caught(tmp_path: Path) -> None:
    # The comparison above can fail: one changed value makes the two differ.
    path = tmp_path / "feedpub.yaml"
    path.write_text("publish:\n  workers: 9\n", encoding="utf-8")
    assert _resolved(load_config(path), tmp_path) != _resolved(Config(), tmp_path)


def test_layout_keys_name_their_default_in_the_comment() -> None:
    lines = config_template.text().splitlines()
    for key in config_template.LAYOUT:
        indent = "  " * (len(key) - 1)
        [line] = [x for x in lines if x.startswith(f"{indent}{key[-1]}:")]
        assert "default" in line.partition("#")[2], line


def test_every_key_has_its_own_variable() -> None:
    names = [config_template.env_name(k) for k in config_template.key_paths()]
    assert len(names) == len(set(names)), "two keys share one FEEDPUB_ variable"
    assert "FEEDPUB_SITE_BASE_URL" in names and "FEEDPUB_PUBLISH_TARGET" in names
    assert "FEEDPUB_SITE_FEED_ENABLED" in names and "FEEDPUB_TOPICS" in names
