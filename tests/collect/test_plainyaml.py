"""The fast front-matter reader gives exactly what the full loader gives, or steps aside.

For every text, :func:`feedpub.collect.plainyaml.load` must either return UNSURE or return the
value ``yaml.load`` builds, with the same types (``True`` is not ``1``), for a text the
full path accepts (its hostile-input checks included). Checked on hand-picked cases, on
random documents assembled from the constructs where YAML has subtle rules, and on
every file of the real corpus.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedpub.collect import frontmatter, plainyaml
from feedpub.errors import ArticleError

from ..conftest import FIXTURE_SITE, REPO

CI = settings(
    max_examples=int(os.environ.get("FEEDPUB_HYPOTHESIS_EXAMPLES", "600")),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def typed(value: Any) -> Any:
    """A comparable form that tells True from 1 and keeps key order out of it."""
    if isinstance(value, dict):
        return ("map", sorted((repr(typed(k)), typed(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("seq", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def full(text: str) -> Any:
    """What the full path builds: the hostile-input checks, then the safe loader."""
    frontmatter.check_events(text, 1)
    return yaml.load(text, Loader=frontmatter.SafeLoader)


def agrees(text: str) -> bool:
    """Whether the fast reader agreed with the full path (False: it stepped aside)."""
    fast = plainyaml.load(text)
    if fast is plainyaml.UNSURE:
        return False
    try:
        expected = full(text)
    except (ArticleError, yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        pytest.fail(f"the fast reader accepted what the full path refuses ({exc}):\n{text}")
    assert typed(fast) == typed(expected), text
    return True


TYPICAL = """\
title: "Baidu \\"tests\\" a $1 billion AI fund"
excerpt: "When: June 25\\r\\nWhere: online. It's 40% — café"
publishedDateTime: 2019-07-01T22:16:51Z
quality: 78
heat: -1
published: true
share: 0.5
empty:
quoted: ''
it: 'it''s'
provider:
  name: The Verge
  domain: theverge.com
topics:
  - AI
  - Machine Learning
tags:
- compact
- list
images:
  - url: "https://example.com/a.jpg"
    width: 1280
    isCached: true
related:
  - title: "Other"
    provider:
      name: CNET
    images:
    - url: "https://example.com/b.jpg"
      height: 720
  - title: plain title, with a comma [and brackets]
next: done
"""


def test_typical_front_matter_takes_the_fast_path_with_the_same_values() -> None:
    assert agrees(TYPICAL)
    value = plainyaml.load(TYPICAL)
    assert value["publishedDateTime"] == datetime(2019, 7, 1, 22, 16, 51, tzinfo=UTC)
    assert value["heat"] == -1 and value["empty"] is None and value["it"] == "it's"
    assert value["related"][0]["images"] == [{"url": "https://example.com/b.jpg", "height": 720}]
    assert value["tags"] == ["compact", "list"] and value["next"] == "done"


@pytest.mark.parametrize(
    "text",
    [
        "null:\n",  # a key that is None, with no value
        "true: 1\nTrue: 2\n",  # two keys YAML reads as the same boolean: the last wins
        "a: ''\nb: \"\"\n",
        "a:\nb:\n  c:\n  d: 1\n",
        "a: 2019-07-01\nb: 2019-07-01 10:00:00\nc: 2019-07-01T22:16:51.25+02:00\n",
        "a: 010\nb: 0x1F\nc: 1_000\nd: 1.5e3\ne: .inf\nf: -.nan\ng: ~\nh: off\n",
        'a: "\\x41\\u00e9\\U0001F600\\t\\\\"\n',
        "a: x:y\nb: http://e.com/#frag\nc: a  b   \n",
        "a:\n- 1\n-   2\n- k: v\n  k2: v2\n",
    ],
)
def test_cases_with_subtle_values_agree(text: str) -> None:
    assert agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key: the full path refuses it and names the line
        "a: &x 1\nb: *x\n",
        "a: !!python/object:os.system x\n",
        "a: 1 # comment\n",
        "# comment\na: 1\n",
        "a: first line\n  continued\n",
        'a: "open\n  quote"\n',
        "a: |\n  block\n",
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "a:\tb\n",
        'a: "bad \\q escape"\n',
        "a: b: c\n",
        "a: - b\n",
        "- a\n- b\n",
        "  a: 1\n",
        "a: 1\n b: 2\n",
        "<<: {a: 1}\n",
        "a: =\n",
        "? a\n: b\n",
        "%YAML 1.1\n",
        "a: \u2028b\n",
        "a: " + "1" * 5000 + "\n",
        "".join(f"{'  ' * i}k:\n" for i in range(40)),
    ],
)
def test_constructs_with_subtle_rules_go_to_the_full_loader(text: str) -> None:
    assert plainyaml.load(text) is plainyaml.UNSURE


KEYS = st.sampled_from(["a", "b", "title", "null", "Null", "true", "yes", "on", "No", "OFF", "x-y", "_k", "a1", "n", "y"])
VALUES = st.one_of(
    st.sampled_from(
        [
            "1",
            "-1",
            "0",
            "010",
            "0o7",
            "0x1F",
            "1_000",
            "190:20:30",
            "1.5",
            ".5",
            "1e3",
            "1.0e+3",
            "-.inf",
            ".NaN",
            "true",
            "True",
            "tRUE",
            "yes",
            "No",
            "off",
            "null",
            "~",
            "NULL",
            "2019-07-01T22:16:51Z",
            "2019-07-01",
            "2019-7-1 1:02:03",
            "2019-13-01T00:00:00Z",
            "2019-02-30T00:00:00Z",
            "2019-07-01T22:16:51.5Z",
            "2019-07-01T22:16:51+02:00",
            "2019-07-01t22:16:51z",
            "a: b",
            "a:b",
            "a:",
            "a #b",
            "a#b",
            "a ",
            "a  b",
            "-x",
            "- x",
            "-",
            "?x",
            ":x",
            "=",
            "<<",
            "%x",
            "@x",
            "`x",
            "|",
            ">",
            "&x",
            "*x",
            "!x",
            "!!str 1",
            "[1]",
            "{a: 1}",
            "a, b",
            "é",
            "\xa0x",
            "x\xa0",
            "\u200bx",
            "a\tb",
            "12345678901234567890123",
            '"q"',
            '""',
            '"a\\"b"',
            '"a\\x41"',
            '"\\u00e9"',
            '"\\ud800"',
            '"\\q"',
            '"\\/"',
            '"\\N\\_\\L\\P"',
            '"a" b',
            '"a',
            "'s'",
            "''",
            "'it''s'",
            "'a",
            "'a' b",
        ]
    ),
    st.text(alphabet=st.sampled_from(list("ab1:-# '\"\\.,[]{}&*!|>%@`~\xa0é\u2028")), max_size=8),
)
LINES = st.one_of(
    st.builds(lambda i, k, v: f"{' ' * i}{k}: {v}", st.sampled_from([0, 0, 2, 4, 1, 3]), KEYS, VALUES),
    st.builds(lambda i, k: f"{' ' * i}{k}:", st.sampled_from([0, 0, 2, 4, 1]), KEYS),
    st.builds(lambda i, s, v: f"{' ' * i}-{' ' * s}{v}", st.sampled_from([0, 2, 2, 4, 1]), st.sampled_from([1, 1, 3]), VALUES),
    st.builds(
        lambda i, s, k, v: f"{' ' * i}-{' ' * s}{k}: {v}",
        st.sampled_from([0, 2, 2, 4]),
        st.sampled_from([1, 1, 2]),
        KEYS,
        VALUES,
    ),
    st.builds(lambda i, k: f"{' ' * i}- {k}:", st.sampled_from([0, 2, 4]), KEYS),
    st.sampled_from(["", "  ", "-", "# note", "  # note", "...", "---", "key : v", '"k": v', "k:v"]),
)
DOCUMENTS = st.lists(LINES, min_size=1, max_size=14).map(lambda lines: "\n".join(lines) + "\n")


@CI
@given(DOCUMENTS)
def test_random_documents_agree_or_step_aside(text: str) -> None:
    agrees(text)


def test_every_fixture_and_example_article_agrees() -> None:
    paths = sorted((REPO / "examples").rglob("*.md")) + sorted(FIXTURE_SITE.rglob("*.md"))
    taken = 0
    for path in paths:
        try:
            body = frontmatter.split(frontmatter.decode(path.read_bytes()))
        except ArticleError:
            continue
        taken += agrees(body)
    assert taken >= len(paths) // 2  # the fast path is the common one, not a curiosity


def test_every_corpus_file_agrees(corpus: Path) -> None:
    taken = total = 0
    for path in sorted(corpus.rglob("*.md")):
        if path.name == "README.md":
            continue
        try:
            body = frontmatter.split(frontmatter.decode(path.read_bytes()))
        except ArticleError:
            continue
        total += 1
        taken += agrees(body)
    assert taken >= total * 0.9, f"only {taken} of {total} real files took the fast path"
