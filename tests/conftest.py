"""Shared test helpers: where the fixtures and the shared corpus are."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURE_SITE = TESTS / "fixtures" / "site"
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    """The shared corpus of real article files beside the repository."""
    if not (CORPUS / "README.md").is_file():
        pytest.skip(f"the shared corpus is not beside the repository ({CORPUS} is missing)")
    return CORPUS
