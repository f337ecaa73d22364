"""Topic definitions: the ``images`` of ``_data/topics/*.yaml`` and the one image a topic shows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from feedpub.collect.topicdefs import load_topic_defs
from feedpub.config import Site
from feedpub.records import Image, Topic
from feedpub.render.images import topic_image
from feedpub.topics import resolve_topics


def _defs(tmp_path: Path, text: str) -> list:
    folder = tmp_path / "_data" / "topics"
    folder.mkdir(parents=True)
    (folder / "01-t.yaml").write_text(text, encoding="utf-8")
    defs, problems = load_topic_defs([tmp_path])
    assert problems == []
    return defs


def test_real_definitions_give_their_images_in_order(corpus: Path) -> None:
    defs, problems = load_topic_defs([corpus / "artificial-intelligence", corpus / "power-apps"])
    assert problems == []
    by_slug = {d.slug: d for d in defs}
    ml = by_slug["machine-learning"]
    base = "https://smartableai.github.io/artificial-intelligence/assets/images/topics/"
    assert [i.url for i in ml.images] == [
        base + "machine-learning.jpg",
        base + "machine-learning-2.jpg",
        base + "machine-learning-3.jpg",
        base + "machine-learning-4.jpg",
    ]
    assert ml.images[0] == Image(url=base + "machine-learning.jpg")  # no sizes given: None, not 0
    assert ml.description == "Systems learn from data to improve on tasks."
    # Every AI topic file has images; no power-apps topic file has any.
    assert all(d.images for d in defs if "artificial-intelligence" in (d.path or ""))
    assert by_slug["power-apps"].images == ()


def test_unsafe_and_junk_image_entries_are_dropped(tmp_path: Path) -> None:
    (d,) = _defs(
        tmp_path,
        "name: T\n"
        "images:\n"
        "  - javascript:alert(1)\n"
        "  - /relative/pic.png\n"
        "  - 'data:image/png;base64,AAAA'\n"
        "  - 42\n"
        "  - [nested]\n"
        "  - {url: 'java\tscript:alert(1)'}\n"
        "  - 'https://img.test/a.png?x=1&#038;y=2'\n"
        "  - 'https://img.test/a.png?x=1&y=2'\n"
        "  - {url: 'http://img.test/b.jpg', width: '640', height: 480, title: '<b>Bee</b>'}\n",
    )
    assert d.images == (
        Image(url="https://img.test/a.png?x=1&y=2"),  # the WordPress entity decoded, the duplicate dropped
        Image(url="http://img.test/b.jpg", width=640, height=480, title="Bee"),
    )


def test_images_that_are_not_a_list_give_none(tmp_path: Path) -> None:
    (d,) = _defs(tmp_path, "name: T\nimages: https://img.test/a.png\n")
    assert d.images == ()


def test_the_topic_keeps_its_definition_images(tmp_path: Path) -> None:
    defs = _defs(tmp_path, "_id: tee\nname: T\nimages: ['https://img.test/t.png']\n")
    index = resolve_topics({"t": Counter({"T": 1})}, defs)
    (topic,) = list(index)
    assert topic.images == (Image(url="https://img.test/t.png"),)


def test_topic_image_prefers_the_definition_then_the_site_logo() -> None:
    own = Topic(key="t", name="T", slug="t", images=(Image(url="https://img.test/1.png"), Image(url="https://img.test/2.png")))
    bare = Topic(key="u", name="U", slug="u")
    logo = Site(logo="https://site.test/logo.png")
    assert topic_image(own, logo) == Image(url="https://img.test/1.png")
    assert topic_image(bare, logo) == Image(url="https://site.test/logo.png")
    assert topic_image(bare, Site()) is None
