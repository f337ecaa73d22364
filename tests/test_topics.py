"""Topic identity (case, spacing and Unicode form folded), slugs and collision handling."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedpub.cli import main
from feedpub.records import TopicDef
from feedpub.topics import resolve_topics, slugify, topic_key


def test_slugify_examples() -> None:
    assert slugify("Computer Vision") == "computer-vision"
    assert slugify("AWS AI") == "aws-ai"
    assert slugify("Café Société") == "cafe-societe"
    assert slugify("C++") == "c-plus-plus"
    assert slugify("C#") == "c-sharp"
    assert slugify("C") == "c"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("CON") == "con-topic"
    assert slugify("人工知能").startswith("topic-") and slugify("人工知能") != slugify("機械学習")


def test_case_and_spacing_are_one_topic() -> None:
    assert topic_key("AI  Ethics") == topic_key("ai ethics") == topic_key(" AI Ethics ")


def test_display_name_is_definition_else_most_frequent() -> None:
    spellings = {"ai ethics": Counter({"ai ethics": 1, "AI Ethics": 3}), "robots": Counter({"robots": 2})}
    index = resolve_topics(spellings, [TopicDef(name="Robots", slug="robotics")])
    assert index.by_key[topic_key("AI ETHICS")].name == "AI Ethics"
    robots = index.by_key[topic_key("robots")]
    assert robots.name == "Robots" and robots.slug == "robotics"


def test_defined_topics_without_articles_are_kept() -> None:
    index = resolve_topics({}, [TopicDef(name="Math for AI", slug="math-for-ai")])
    assert [t.slug for t in index] == ["math-for-ai"]


def test_collisions_get_stable_distinct_slugs() -> None:
    spellings = {"ai-ethics": Counter({"AI-Ethics": 1}), "ai ethics": Counter({"AI Ethics": 1})}
    first = resolve_topics(spellings, [])
    again = resolve_topics(dict(reversed(list(spellings.items()))), [])
    slugs = {t.key: t.slug for t in first}
    assert slugs == {t.key: t.slug for t in again}
    assert len(set(slugs.values())) == 2
    assert slugs["ai ethics"] == "ai-ethics"  # sorts first, keeps the plain slug
    assert slugs["ai-ethics"].startswith("ai-ethics-")


def test_reserved_and_defined_slugs_win() -> None:
    spellings = {"index": Counter({"Index": 2}), "all": Counter({"All": 1}), "robots!": Counter({"Robots!": 1})}
    index = resolve_topics(spellings, [TopicDef(name="Robots", slug="robots")], reserved={"index", "all"})
    slugs = {t.key: t.slug for t in index}
    assert slugs["robots"] == "robots"
    assert slugs["robots!"] != "robots"
    assert slugs["index"] != "index" and slugs["all"] != "all"


# "Café Culture" typed two ways: é as one code point (NFC) and as e + U+0301 (NFD).
CAFE_NFC = "Caf\u00e9 Culture"
CAFE_NFD = "Cafe\u0301 Culture"


def test_unicode_forms_of_a_name_are_one_topic() -> None:
    assert CAFE_NFC != CAFE_NFD
    assert topic_key(CAFE_NFC) == topic_key(CAFE_NFD) == "caf\u00e9 culture"
    # Compatibility forms a reader cannot tell apart: fullwidth letters, ligatures.
    assert topic_key("\uff21\uff29 Ethics") == topic_key("AI Ethics")
    assert topic_key("\ufb01nance") == topic_key("Finance")
    # Distinct names stay distinct.
    assert topic_key("Caf\u00e9") != topic_key("Cafe")


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_ascii_keys_are_as_before(name: str) -> None:
    """ASCII names are already normalized: their keys, and so their slugs, do not change."""
    assert topic_key(name) == " ".join(name.split()).casefold()


@given(st.text(max_size=30))
def test_key_is_stable_under_normalization(name: str) -> None:
    key = topic_key(name)
    assert topic_key(key) == key
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        assert topic_key(unicodedata.normalize(form, name)) == key, form


def test_spellings_in_two_forms_count_as_one() -> None:
    """The selector counts raw spellings; one NFC and one NFD article make one name of two."""
    spellings = {topic_key(CAFE_NFC): Counter({CAFE_NFD: 1, CAFE_NFC: 1, "caf\u00e9 culture": 1})}
    [topic] = list(resolve_topics(spellings, []))
    assert topic.name == CAFE_NFC  # two votes against one, shown in NFC
    assert topic.slug == "cafe-culture"


def test_definition_in_one_form_matches_articles_in_the_other() -> None:
    spellings = {topic_key(CAFE_NFC): Counter({CAFE_NFC: 3})}
    index = resolve_topics(spellings, [TopicDef(name=CAFE_NFD, slug="cafe")])
    assert len(index.by_key) == 1
    topic = index.by_key.get(topic_key(CAFE_NFC))
    assert topic is not None and topic is index.by_key.get(topic_key(CAFE_NFD))
    assert topic.slug == "cafe" and topic.name == CAFE_NFC  # the definition's slug: it matched


def _article(folder: Path, name: str, topic: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        "---\n"
        f'title: "Story {name}"\n'
        "publishedDateTime: 2025-03-02T08:30:00Z\n"
        f'webUrl: "https://news.test/{name}"\n'
        "quality: 40\n"
        f'topics:\n  - "{topic}"\n'
        "---\n",
        encoding="utf-8",
    )


def _build(source: Path, output: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status = main(["build", "--source", str(source), "--output", str(output), "--json", "--no-cache",
                   "--base-url", "https://feeds.test/"])  # fmt: skip
    summary: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert status == 0
    return summary


def test_build_gives_one_feed_for_both_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "site"
    _article(source / "_news", "2025-03-02-nfc.md", CAFE_NFC)
    _article(source / "_news", "2025-03-02-nfd.md", CAFE_NFD)
    summary = _build(source, tmp_path / "out", capsys)
    [topic] = [t for t in summary["topics"] if t["slug"] != "all"]
    assert (topic["name"], topic["slug"], topic["articles"], topic["items"]) == (CAFE_NFC, "cafe-culture", 2, 2)
    feeds = sorted(p.name for p in (tmp_path / "out").glob("cafe-culture*"))
    assert feeds == ["cafe-culture.atom", "cafe-culture.html", "cafe-culture.json", "cafe-culture.xml"]  # feeds and page
    # Both items carry the one display name as their category.
    rss = (tmp_path / "out" / "cafe-culture.xml").read_text(encoding="utf-8")
    assert rss.count(f"<category>{CAFE_NFC}</category>") == 2 and CAFE_NFD not in rss


def test_build_matches_a_definition_across_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "site"
    _article(source / "_news", "2025-03-02-nfc.md", CAFE_NFC)
    (source / "_data" / "topics").mkdir(parents=True)
    (source / "_data" / "topics" / "cafe.yaml").write_text(
        f'_id: coffee\nname: "{CAFE_NFD}"\ndescription: "Coffee houses"\n', encoding="utf-8"
    )
    summary = _build(source, tmp_path / "out", capsys)
    [topic] = [t for t in summary["topics"] if t["slug"] != "all"]
    assert (topic["name"], topic["slug"], topic["articles"]) == (CAFE_NFC, "coffee", 1)
    assert not (tmp_path / "out" / "cafe-culture.xml").exists()
