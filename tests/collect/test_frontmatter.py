"""The one-pass loader (checks and building together) builds exactly what ``yaml.load`` builds.

It returns the value, or _FALLBACK for what it leaves to ``yaml.load``; it refuses
exactly what the event check refuses, with the same reason. Its memo of plain scalars
(shared across documents) must never change a value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from feedpub.collect import frontmatter
from feedpub.errors import ArticleError

from ..conftest import FIXTURE_SITE, REPO
from .test_plainyaml import CI, DOCUMENTS, typed


def same_as_the_full_path(text: str) -> None:
    expected = None  # what yaml.load builds, when the full path accepts the text
    try:
        frontmatter.check_events(text, 1)
        expected = yaml.load(text, Loader=frontmatter.SafeLoader)
        refused = None
    except ArticleError as exc:
        refused = str(exc)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        refused = "the loader's own error"
    try:
        value = frontmatter._load_checked(text, 1)
    except ArticleError as exc:
        assert str(exc) == refused, text  # noqa: PT017 - refusing is one of the outcomes compared, not required
        return
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        assert refused == "the loader's own error", text
        return
    if value is not frontmatter._FALLBACK:
        assert refused is None, text
        assert typed(value) == typed(expected), text


@CI
@given(DOCUMENTS)
def test_random_documents_build_the_same(text: str) -> None:
    same_as_the_full_path(text)
    same_as_the_full_path(text)  # again, with its plain scalars remembered


def test_every_example_fixture_and_hostile_file_builds_the_same() -> None:
    paths = [*(REPO / "examples").rglob("*.md"), *FIXTURE_SITE.rglob("*.md"), *(REPO / "tests" / "hostile" / "cases").iterdir()]
    checked = 0
    for path in sorted(paths):
        try:
            body = frontmatter.split(frontmatter.decode(path.read_bytes()))
        except ArticleError:
            continue
        same_as_the_full_path(body)
        checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    "text", ["a: 1\nb: [1, 1.5, true, ~, 2020-01-01]\n", "x: 2019-07-01T22:16:51Z\ny: 2019-07-01T22:16:51Z\n"]
)
def test_remembered_scalars_give_the_same_values(text: str) -> None:
    first, second = frontmatter._load_checked(text, 1), frontmatter._load_checked(text, 1)
    assert typed(first) == typed(second) == typed(yaml.load(text, Loader=frontmatter.SafeLoader))


def test_corpus_files_build_the_same(corpus: Path) -> None:
    for path in sorted(corpus.rglob("*.md")):
        try:
            body = frontmatter.split(frontmatter.decode(path.read_bytes()))
        except ArticleError:
            continue
        same_as_the_full_path(body)


def _split_by_lines(text: str) -> str | None:
    """The rule of ``split`` read line by line: the text up to the first fence line after the first."""
    lines = text.split("\n")
    if lines[0].strip() != "---" or not text.startswith("---"):
        return None
    for n, line in enumerate(lines[1:], 1):
        if line[:3] in ("---", "...") and line.rstrip() in ("---", "..."):
            return "".join(f"{x}\n" for x in lines[1:n])
    return None


@given(st.lists(st.sampled_from(["---", "...", "--- ", "----", "...x", "a: 1", " ---", "", "-", "---\t"]), max_size=8))
def test_the_front_matter_ends_at_the_first_fence_line(lines: list[str]) -> None:
    text = "---\n" + "\n".join(lines)
    try:
        got: str | None = frontmatter.split(text)
    except ArticleError:
        got = None
    assert got == _split_by_lines(text)
