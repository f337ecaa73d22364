"""The version is written once, in feedpub/__init__.py; the package metadata reads it from there."""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import feedpub

from .conftest import REPO


def test_pyproject_reads_the_version_from_the_package() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"], "the version belongs in src/feedpub/__init__.py only"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "feedpub.__version__"}


def test_installed_metadata_carries_the_package_version() -> None:
    assert version("feedpub") == feedpub.__version__
