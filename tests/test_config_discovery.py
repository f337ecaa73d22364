"""Which config file applies: ``--config``, else ./feedpub.yaml, else ./config/feedpub.yaml, else none.

Through the real command line, in a folder of the test's own (the autouse fixture of
conftest keeps the repository's config/feedpub.yaml away), and with the up-to-date
stamp: a config file appearing where it would now apply makes the next build a real one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .configsite import make_site, run

LOOKED_FOR = "(looked for ./feedpub.yaml, ./config/feedpub.yaml)"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site")


def titles(folder: Path) -> str:
    """The channel title of the site feed written into ``folder``."""
    text = (folder / "all.xml").read_text(encoding="utf-8")
    return text.split("<title>", 1)[1].split("</title>", 1)[0]


@pytest.mark.parametrize("command", ["build", "check", "topics", "publish", "serve"])
def test_no_config_and_no_sources_names_the_files_looked_for(tmp_path: Path, command: str) -> None:
    p = run(command, cwd=tmp_path)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.splitlines() == [
        f"feedpub: error: no sources: give --source DIR or list 'sources' in a config file {LOOKED_FOR}"
    ]


def test_a_config_without_sources_is_named(tmp_path: Path) -> None:
    (tmp_path / "feedpub.yaml").write_text("site:\n  title: Mine\n")
    p = run("build", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines() == ["feedpub: error: no sources: give --source DIR or list 'sources' in feedpub.yaml"]


def test_without_a_config_file_the_defaults_apply(tmp_path: Path, site: Path) -> None:
    p = run("build", "--source", str(site), "--output", "out", "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert titles(tmp_path / "out") == "feedpub: All topics"


def test_feedpub_yaml_in_the_current_folder_is_found(tmp_path: Path, site: Path) -> None:
    (tmp_path / "feedpub.yaml").write_text("site:\n  title: Root\nsources: [site]\noutput: out\n")
    p = run("build", "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert titles(tmp_path / "out") == "Root: All topics"


def test_config_folder_is_the_fallback_and_feedpub_yaml_wins(tmp_path: Path, site: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "feedpub.yaml").write_text("site:\n  title: Nested\nsources: [../site]\noutput: ../out\n")
    assert run("build", "--quiet", cwd=tmp_path).returncode == 0
    assert titles(tmp_path / "out") == "Nested: All topics"
    (tmp_path / "feedpub.yaml").write_text("site:\n  title: Root\nsources: [site]\noutput: out\n")
    assert run("build", "--quiet", cwd=tmp_path).returncode == 0
    assert titles(tmp_path / "out") == "Root: All topics"


def test_a_folder_named_feedpub_yaml_is_passed_over(tmp_path: Path, site: Path) -> None:
    (tmp_path / "feedpub.yaml").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "feedpub.yaml").write_text("site:\n  title: Nested\nsources: [../site]\noutput: ../out\n")
    assert run("build", "--quiet", cwd=tmp_path).returncode == 0
    assert titles(tmp_path / "out") == "Nested: All topics"


def test_a_dangling_link_as_feedpub_yaml_is_an_error_not_ignored(tmp_path: Path, site: Path) -> None:
    (tmp_path / "feedpub.yaml").symlink_to(tmp_path / "gone.yaml")
    p = run("build", "--source", str(site), cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines() == ["feedpub: error: feedpub.yaml: cannot read the config file: No such file or directory"]


def test_config_flag_wins_over_discovery(tmp_path: Path, site: Path) -> None:
    (tmp_path / "feedpub.yaml").write_text("site:\n  title: Root\nsources: [site]\noutput: out\n")
    (tmp_path / "other.yaml").write_text("site:\n  title: Other\nsources: [site]\noutput: out\n")
    assert run("build", "--config", "other.yaml", "--quiet", cwd=tmp_path).returncode == 0
    assert titles(tmp_path / "out") == "Other: All topics"


@pytest.mark.parametrize("command", ["build", "check", "topics"])
def test_config_flag_naming_a_missing_file(tmp_path: Path, site: Path, command: str) -> None:
    (tmp_path / "feedpub.yaml").write_text("sources: [site]\n")  # not a fallback for a file named on purpose
    p = run(command, "--config", "missing.yaml", cwd=tmp_path)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.splitlines() == ["feedpub: error: missing.yaml: config file not found (named by --config)"]


def test_config_flag_naming_a_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    p = run("check", "--config", "conf", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines() == ["feedpub: error: conf: a folder, not a config file (named by --config)"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_as_config_is_refused_not_waited_on(tmp_path: Path, site: Path) -> None:
    os.mkfifo(tmp_path / "feedpub.yaml")  # nobody ever writes to it: reading would block forever
    p = run("build", "--source", str(site), cwd=tmp_path)  # run() fails the test after two minutes
    assert p.returncode == 2
    assert p.stderr.splitlines() == ["feedpub: error: feedpub.yaml: cannot read the config file: not a regular file"]


def test_an_unreadable_config_is_one_line(tmp_path: Path, site: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    (tmp_path / "feedpub.yaml").write_text("sources: [site]\n")
    (tmp_path / "feedpub.yaml").chmod(0)
    p = run("build", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines() == ["feedpub: error: feedpub.yaml: cannot read the config file: Permission denied"]


def build_json(cwd: Path) -> dict:
    p = run("build", "--json", "--quiet", cwd=cwd)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_a_config_file_appearing_invalidates_the_up_to_date_stamp(tmp_path: Path, site: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "feedpub.yaml").write_text("site:\n  title: Nested\nsources: [../site]\noutput: ../out\n")
    assert build_json(tmp_path)["up_to_date"] is False
    assert build_json(tmp_path).get("up_to_date") is True
    # A feedpub.yaml appears in front of config/feedpub.yaml: it applies now.
    (tmp_path / "feedpub.yaml").write_text("site:\n  title: Root\nsources: [site]\noutput: out\n")
    assert build_json(tmp_path)["up_to_date"] is False
    assert titles(tmp_path / "out") == "Root: All topics"
    assert build_json(tmp_path).get("up_to_date") is True
    # A config/feedpub.yaml edited behind the one that applies changes nothing.
    (tmp_path / "config" / "feedpub.yaml").write_text("site:\n  title: Edited\nsources: [../site]\noutput: ../out\n")
    assert build_json(tmp_path).get("up_to_date") is True
    # It vanishes: config/feedpub.yaml applies again.
    (tmp_path / "feedpub.yaml").unlink()
    assert build_json(tmp_path)["up_to_date"] is False
    assert titles(tmp_path / "out") == "Edited: All topics"


def test_a_config_file_appearing_where_none_was(tmp_path: Path, site: Path) -> None:
    p = run("build", "--source", str(site), "--output", "out", "--json", "--quiet", cwd=tmp_path)
    assert p.returncode == 0 and json.loads(p.stdout)["up_to_date"] is False
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "feedpub.yaml").write_text("site:\n  title: Late\n")
    p = run("build", "--source", str(site), "--output", "out", "--json", "--quiet", cwd=tmp_path)
    assert p.returncode == 0 and json.loads(p.stdout)["up_to_date"] is False
    assert titles(tmp_path / "out") == "Late: All topics"
