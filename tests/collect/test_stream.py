"""The collect step as a stream: results in the files' order, whether parsed here, in
worker processes started part-way through, or taken from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedpub.cache.parsed import ParseCache
from feedpub.collect import stream
from feedpub.collect.read import read_article
from feedpub.collect.scan import iter_article_files
from feedpub.collect.stream import collect_articles
from feedpub.records import Article, ArticleRef

from ..cache.test_caches import article, write


def test_workers_started_mid_stream_keep_the_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    news = tmp_path / "site" / "_news"
    for i in range(60):
        write(news / f"story-{i:03d}.md", article(i))
    write(news / "story-030.md", "---\ntitle: [broken\n---\n")
    files = list(iter_article_files([news], newest_first=True))
    cache = ParseCache(tmp_path / "c")
    list(collect_articles(files, cache, workers=1))
    cache.save()
    # A run of 25 edited files together (enough to start the workers) and a few apart.
    for i in [*range(10, 35), 3, 50, 57]:
        write(news / f"story-{i:03d}.md", article(i, title=f"Edited {i}"))
    files = list(iter_article_files([news], newest_first=True))
    sent: list[str] = []

    class Workers(stream._Workers):
        def add(self, path: str) -> None:
            sent.append(path)
            super().add(path)

    monkeypatch.setattr(stream, "_Workers", Workers)
    again = ParseCache(tmp_path / "c")
    got = list(collect_articles(files, again, workers=2, parallel_above=5))
    assert 20 <= len(sent) <= 28  # the files after the workers started, and those waiting then
    assert (again.hits, again.parsed) == (32, 28)
    expected = [read_article(Path(p)) for p, _, _ in files]
    assert [again.full(a) if isinstance(a, ArticleRef) else a for a in got] == expected
    assert [r.path for r in got] == [p for p, _, _ in files]
    titles = {a.title for a in expected if isinstance(a, Article)}
    assert "Edited 20" in titles and "Edited 57" in titles


def test_without_a_cache_every_file_is_parsed_in_order(tmp_path: Path) -> None:
    news = tmp_path / "_news"
    for i in range(30):
        write(news / f"s-{i:02d}.md", article(i))
    files = list(iter_article_files([news]))
    for workers, above, eager in [(1, 0, False), (2, 0, False), (2, 10, False), (2, 100, False), (2, 100, True)]:
        got = list(collect_articles(iter(files), None, workers=workers, parallel_above=above, eager=eager))
        assert got == [read_article(Path(p)) for p, _, _ in files]
