"""Differential: the fast front-matter reader against the one before it, on every hostile
fixture, every fixture and example article, every file of the shared corpus and random
documents.

Both must build the same value, or both step aside (UNSURE) for the full loader, and the
records built from each file must be identical whichever reader is used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given

from feedpub.collect import frontmatter, plainyaml
from feedpub.collect.article import parse_article
from feedpub.errors import ArticleError

from ..conftest import FIXTURE_SITE, REPO
from . import plainyaml_before
from .test_plainyaml import CI, DOCUMENTS, full, typed

HOSTILE = REPO / "tests" / "hostile" / "cases"


def same_value(text: str) -> bool:
    """Assert both readers agree on ``text``; True when the new one read it itself."""
    new = plainyaml.load(text)
    old = plainyaml_before.load(text)
    assert (old is plainyaml.UNSURE) == (new is plainyaml.UNSURE), text
    if new is not plainyaml.UNSURE:
        assert typed(new) == typed(old), text
    return new is not plainyaml.UNSURE


def front_matters(paths: list[Path]) -> list[str]:
    bodies = []
    for path in paths:
        try:
            bodies.append(frontmatter.split(frontmatter.decode(path.read_bytes())))
        except ArticleError:
            continue
    return bodies


def same_records(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The records parse_article builds from each file, with either reader, are equal."""
    new = [parse_article(str(p), p.read_bytes()) for p in paths]
    with monkeypatch.context() as patch:
        patch.setattr(plainyaml, "load", plainyaml_before.load)
        old = [parse_article(str(p), p.read_bytes()) for p in paths]
    for path, a, b in zip(paths, new, old, strict=True):
        assert a == b, path


def test_hostile_fixtures_give_the_same_values_and_records(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(HOSTILE.glob("*.md"))
    assert len(paths) > 100
    for body in front_matters(paths):
        same_value(body)
    same_records(paths, monkeypatch)


def test_fixtures_and_examples_give_the_same_values_and_records(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted((REPO / "examples").rglob("*.md")) + sorted(FIXTURE_SITE.rglob("*.md"))
    bodies = front_matters(paths)
    assert sum(same_value(body) for body in bodies) >= len(bodies) // 2  # the new reader did read them
    same_records(paths, monkeypatch)


def test_corpus_gives_the_same_values_and_records(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [p for p in sorted(corpus.rglob("*.md")) if p.name != "README.md"]
    bodies = front_matters(paths)
    taken = sum(same_value(body) for body in bodies)
    assert taken >= len(bodies) * 0.9, f"the new reader read only {taken} of {len(bodies)} real files"
    same_records(paths, monkeypatch)


@CI
@given(DOCUMENTS)
def test_random_documents_give_the_same_values(text: str) -> None:
    same_value(text)


@pytest.mark.parametrize(
    "text",
    [
        "true: 1\nyes: 2\n",  # equal keys by value, not by text: no duplicate
        "a:\n  null: 1\n  Null: 2\n  null: 3\n",  # a duplicate null key by text
        "a:\n  b: 1\n  b: 2\n",  # a duplicate in a nested mapping
        "a:\nb: 1\na: 2\n",  # a duplicate of a key that had no value
        "a:\n  - x\n  - y\nb:\n  c:\nd: 1\n",  # a pending key closed by a line further left
        "a:\n  b:\n    c:\n",  # pending keys closed at the end
        "d: 2019-07-01T22:16:51Z\ne: 2019-07-01T22:16:51Z  \n",  # UTC timestamps, built at once
        "d: 2019-02-30T00:00:00Z\n",  # an impossible one: the full loader says why
        "d: 2019-07-01t22:16:51Z\ne: 2019-07-01T22:16:51+00:00\n",  # other timestamp forms
        "d: 2019-07-01T22:16:51Z#x\n",  # not a timestamp
    ],
)
def test_edge_cases_agree(text: str) -> None:
    same_value(text)


def test_utc_timestamps_are_read_by_the_fast_reader_as_the_full_loader_reads_them() -> None:
    text = "a: 2019-07-01T22:16:51Z\nb:\n  - c: 2021-06-30T00:00:00Z  \n"
    assert same_value(text)
    assert typed(plainyaml.load(text)) == typed(full(text))
    assert plainyaml.load(text)["a"] == datetime(2019, 7, 1, 22, 16, 51, tzinfo=UTC)
