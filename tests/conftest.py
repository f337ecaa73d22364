"""Shared test helpers: where the fixtures and the shared corpus are, and the S3 server.

The S3 server fixtures (a real SeaweedFS started for the run) live in s3server.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .s3server import bucket, s3, s3_env, s3_server  # noqa: F401 - fixtures, used by name

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURE_SITE = TESTS / "fixtures" / "site"
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _away_from_the_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test in its own folder, so the repository's config/feedpub.yaml never applies by
    accident, with its own user cache folder (where up-to-date stamps go)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path.parent / f"{tmp_path.name}-user-cache"))


@pytest.fixture
def corpus() -> Path:
    """The shared corpus of real article files beside the repository."""
    if not (CORPUS / "README.md").is_file():
        pytest.skip(f"the shared corpus is not beside the repository ({CORPUS} is missing)")
    return CORPUS
