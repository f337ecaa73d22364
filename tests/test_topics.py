"""Topic identity, slugs and collision handling."""

from __future__ import annotations

from collections import Counter

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
