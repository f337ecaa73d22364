"""Property: any YAML value at any config key either loads and builds, or is exit 2 with one line.

Hypothesis puts random values (null, booleans, huge and negative numbers, nan and
infinities, dates, text with control characters, lists, mappings with odd keys) at the
keys of the README's Configuration block, and random bytes as the whole file, then runs
``feedpub build`` through its console entry point. A traceback is any exception that
escapes ``main``: the test fails on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from feedpub.entry import main

from .configsite import make_site
from .test_config import readme_config

# Keys whose values name files or folders: random text there could point anywhere on
# this machine, so their text is a plain name (the other kinds of values stay random).
PATH_KEYS = {"sources", "output", "cache_dir", "cache", "target"}


def key_paths(section: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key of the README's block as a path, sections included (``("site",)``, ``("site", "title")``)."""
    out = []
    for key, value in section.items():
        out.append((*prefix, key))
        if isinstance(value, dict):
            out.extend(key_paths(value, (*prefix, key)))
    return out


README = readme_config()
PATHS = [*key_paths(README), ("topics", "Climate"), ("topics", "Climate", "max_age_days"), ("unknown",)]

INTERESTING = st.sampled_from(
    ["", " ", "rss", "atom", "json", "all", "en", "pt-BR", "*.md", "yes", "null", "1e9", "0x10", "~",
     "a\x07b", "a\nb", "\u202e", "\x85", "\ufffe", "https://feeds.test/", "http://127.0.0.1:1/", "javascript:x",
     "s3://b/p/", "auto", "path", "max-age=60", "Climate", "climate", "Computer Vision", "{slug}"]
)  # fmt: skip


def values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-5, max_value=100),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.dates(),
        text,
    )
    keys = st.one_of(text, st.integers(), st.booleans(), st.none())
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=8
    )


ANY_VALUE = values(st.one_of(INTERESTING, st.text(max_size=20)))
PATH_VALUE = values(st.from_regex(r"[a-z]{1,8}", fullmatch=True))


def readme_value(path: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """The README's own value at ``path`` (a good one), when it has one."""
    node: Any = README
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return st.nothing()
        node = node[key]
    return st.just(node)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """A config with one to three keys set to random values, or to the README's (so that
    combinations of good values are met, which must build)."""
    config: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3)):
        value = draw(readme_value(path) | (PATH_VALUE if path[-1] in PATH_KEYS else ANY_VALUE))
        node = config
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = value
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site(tmp_path_factory.mktemp("config-property") / "site")


def build(config: Path, site: Path, out: Path) -> int:
    return main(["build", "--config", str(config), "--source", str(site), "--output", str(out),
                 "--no-cache", "--no-probe", "--quiet"])  # fmt: skip


def assert_loads_or_one_line(status: int, stderr: str, config: Path, out: Path) -> None:
    event(f"exit {status}")  # --hypothesis-show-statistics: both outcomes are reached
    if status == 0:
        assert (out / "index.opml").is_file()
        return
    assert status == 2, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"feedpub: error: {config}: "), stderr


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(config=configs())
def test_random_values_at_every_key_load_or_exit_2_with_one_line(
    config: dict[str, Any], site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feedpub.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    status = build(path, site, tmp_path / "out")
    assert_loads_or_one_line(status, capsys.readouterr().err, path, tmp_path / "out")


@settings(SETTINGS, max_examples=100)
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes_as_the_config_load_or_exit_2_with_one_line(
    data: bytes, site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feedpub.yaml"
    path.write_bytes(data)
    status = build(path, site, tmp_path / "out")
    assert_loads_or_one_line(status, capsys.readouterr().err, path, tmp_path / "out")
