"""Golden files: the fixture site's feeds, byte for byte.

After an intended change to the output, regenerate them with
``FEEDPUB_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``: the run rewrites the
files and then fails, saying which ones changed, so a regeneration is never silent.
Review the diff (``git diff tests/golden``), commit it, and run again without the variable.

``FEEDPUB_GOLDEN_DIR`` points the test at another copy of the golden folder (the test of
the update mode uses it, so the real files are never touched by it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub.cli import main
from feedpub.publish.written import RECORD_NAME

from .conftest import REPO, TESTS

GOLDEN = Path(os.environ.get("FEEDPUB_GOLDEN_DIR") or TESTS / "golden")
FIXTURE_CONFIG = TESTS / "fixtures" / "feedpub.yaml"


def _updating() -> bool:
    return os.environ.get("FEEDPUB_UPDATE_GOLDEN", "") not in ("", "0")


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (subfolders too: archive/, top/) by its relative name, but feedpub's record."""
    if not folder.is_dir():
        return {}
    found = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    return {name: p.read_bytes() for name, p in sorted(found.items()) if name != RECORD_NAME}


def rewrite_golden(produced: Path, golden: Path) -> list[str]:
    """Make ``golden`` an exact copy of ``produced``; return the names that changed, were
    added or were removed (sorted), empty when the golden files were already right."""
    new = files_in(produced)
    old = files_in(golden)
    changed = sorted(name for name in new.keys() | old.keys() if new.get(name) != old.get(name))
    shutil.rmtree(golden, ignore_errors=True)
    shutil.copytree(produced, golden, ignore=shutil.ignore_patterns(RECORD_NAME))  # not a feed: feedpub's note
    return changed


def test_fixture_site_matches_golden_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["build", "--config", str(FIXTURE_CONFIG), "--output", str(out), "--quiet"]) == 0
    if _updating():
        changed = rewrite_golden(out, GOLDEN)
        pytest.fail(
            f"FEEDPUB_UPDATE_GOLDEN is set: the golden files in {GOLDEN} were rewritten "
            f"({', '.join(changed) if changed else 'none changed'}). Review the diff "
            "(git diff tests/golden), commit it, and run the tests again without FEEDPUB_UPDATE_GOLDEN.",
            pytrace=False,
        )
    produced, expected = files_in(out), files_in(GOLDEN)
    assert sorted(produced) == sorted(expected)
    for name, data in produced.items():
        assert data == expected[name], f"{name} differs from tests/golden/{name}"


def test_rewrite_golden_reports_changed_added_and_removed_files(tmp_path: Path) -> None:
    produced, golden = tmp_path / "produced", tmp_path / "golden"
    produced.mkdir()
    golden.mkdir()
    (produced / "same.xml").write_bytes(b"same")
    (golden / "same.xml").write_bytes(b"same")
    (produced / "edited.xml").write_bytes(b"new")
    (golden / "edited.xml").write_bytes(b"old")
    (produced / "added.xml").write_bytes(b"added")
    (golden / "removed.xml").write_bytes(b"gone")
    assert rewrite_golden(produced, golden) == ["added.xml", "edited.xml", "removed.xml"]
    assert {p.name: p.read_bytes() for p in golden.iterdir()} == {p.name: p.read_bytes() for p in produced.iterdir()}
    assert rewrite_golden(produced, golden) == []


def test_update_mode_rewrites_the_files_and_then_fails(tmp_path: Path) -> None:
    """The whole update run, in a child pytest on a copy of the golden folder: the copy is
    repaired, and the run still fails, naming the file it rewrote."""
    golden = tmp_path / "golden"
    shutil.copytree(TESTS / "golden", golden)
    (golden / "robots.xml").write_bytes(b"stale\n")
    (golden / "stray.json").write_bytes(b"{}\n")
    env = {**os.environ, "FEEDPUB_UPDATE_GOLDEN": "1", "FEEDPUB_GOLDEN_DIR": str(golden)}
    test_id = f"{Path(__file__).resolve()}::test_fixture_site_matches_golden_files"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_id],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "golden files in" in output and "were rewritten (robots.xml, stray.json)" in output, output
    assert "Review the diff" in output, output
    # The copy now matches what the build produces, that is the real golden files.
    assert files_in(golden) == files_in(TESTS / "golden")
