"""Fuzz the article parser and the feed renderer with coverage-guided mutation (atheris).

Every input is an article file. The target fails (and atheris saves the input) when
parsing raises, or when an accepted article renders to a feed that is not
well-formed, links to anything but http(s), or carries HTML outside the allow-list.
Not part of the default test run. Run it for a fixed budget from the repository root:

    pip install atheris
    mkdir -p fuzz/found
    python fuzz/fuzz_parse.py fuzz/found tests/hostile/cases -max_total_time=300 -rss_limit_mb=1024

``fuzz/found`` (git-ignored) collects the inputs atheris finds interesting; the fixture
cases seed it. A crash is written to ``crash-<sha1>`` in the current folder: add it to
``tests/hostile/cases`` with its expected outcome once fixed. ``-rss_limit_mb`` makes a
memory blow-up (an alias bomb the checks missed) a failure too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hostile"))

with atheris.instrument_imports():
    import yaml  # noqa: F401  (instrumented so the fuzzer sees YAML's branches)
    from hostile_checks import check_feed

    from feedpub.collect.article import parse_article
    from feedpub.config import Site
    from feedpub.records import Article, Rejection, Selection, Topic
    from feedpub.render.feeds import render_feed

SITE = Site(title="Fuzz")


def fuzz_one(data: bytes) -> None:
    """Parse one input; render and check the feeds if it is accepted."""
    result = parse_article("fuzz.md", data)
    if isinstance(result, Rejection):
        assert result.reason.isprintable(), result.reason
        return
    assert isinstance(result, Article)
    topic = Topic(key="t", name=result.topics[0] if result.topics else "t", slug="t")
    sel = Selection(topic=topic, items=(result,), total=1, updated=result.published_at)
    for fmt in ("rss", "atom"):
        check_feed(render_feed(sel, SITE, fmt).data)


def main() -> None:
    """Run libFuzzer with the arguments given on the command line."""
    atheris.Setup(sys.argv, fuzz_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
