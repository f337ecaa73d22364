"""Golden files: the fixture site's feeds, byte for byte.

After an intended change to the output, regenerate them with
``FEEDPUB_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from feedpub.cli import main

from .conftest import TESTS

GOLDEN = TESTS / "golden"


def test_fixture_site_matches_golden_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["build", "--config", str(TESTS / "fixtures" / "feedpub.yaml"), "--output", str(out), "--quiet"]) == 0
    produced = sorted(p.name for p in out.iterdir())
    if os.environ.get("FEEDPUB_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    assert produced == sorted(p.name for p in GOLDEN.iterdir())
    for name in produced:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), f"{name} differs from tests/golden/{name}"
