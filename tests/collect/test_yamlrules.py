"""The YAML safety rules are written once (collect/yamlrules.py) and every reader applies them alike.

The readers: the event check before ``yaml.load`` (article and ``_data`` files), the
one-pass loader, and the plain-subset reader, which must step aside so that the
others refuse the file with the rule's message and line.
"""

from __future__ import annotations

from typing import Any

import pytest

from feedpub.collect import frontmatter, plainyaml, yamlrules
from feedpub.errors import ArticleError

DEEP = "x:\n" + "".join(f"{'  ' * (i + 1)}k:\n" for i in range(40))

# One document per rule, in the block style plainyaml reads where YAML allows it, and
# the reason with the line number counted from the file's first '---' line.
BROKEN = [
    ("title: a\nb: &x 1\n", "YAML anchors (&x) are not allowed (line 3)"),
    ("title: a\nb: *x\n", "YAML aliases (*x) are not allowed (line 3)"),
    ("title: a\nb: !!binary aGk=\n", "YAML tag 'tag:yaml.org,2002:binary' is not allowed (plain values only) (line 3)"),
    ("title: a\nb: !local x\n", "YAML tag '!local' is not allowed (plain values only) (line 3)"),
    ("title: a\n<<:\n  b: 1\n", "YAML merge keys ('<<') are not allowed (line 3)"),
    ("title: a\n? - b\n: c\n", "a list or mapping used as a key is not allowed (line 3)"),
    ("title: a\nb:\n  c: 1\n  c: 2\n", "duplicate key 'c' (line 5)"),
    ("title: a\ntitle: b\n", "duplicate key 'title' (line 3)"),
    (DEEP, "nested deeper than 32 levels (line 34)"),
]


def refusal(load: Any, *args: Any) -> str:
    with pytest.raises(ArticleError) as info:
        load(*args)
    return str(info.value)


@pytest.mark.parametrize(("text", "reason"), BROKEN)
def test_every_reader_refuses_with_the_rules_message_and_line(text: str, reason: str) -> None:
    assert plainyaml.load(text) is plainyaml.UNSURE
    assert refusal(frontmatter.check_events, text, 1) == reason
    assert refusal(frontmatter._load_checked, text, 1) == reason
    assert refusal(frontmatter.load_front_matter, f"---\n{text}---\n".encode()) == reason
    # _data files have no opening '---' line: their lines count from 1.
    line = int(reason.rsplit("line ", 1)[1].rstrip(")"))
    assert refusal(frontmatter.load_data_file, text.encode()) == reason.replace(f"(line {line})", f"(line {line - 1})")


@pytest.mark.parametrize("text", ["'<<': 1\n", "a: '<<'\n", "a: !!str 1\nb: ! x\n", "a:\n  b: 1\nc:\n  b: 2\n"])
def test_what_the_rules_allow_loads_the_same_everywhere(text: str) -> None:
    expected = frontmatter.load_data_file(text.encode())
    frontmatter.check_events(text, 1)
    assert frontmatter.load_front_matter(f"---\n{text}---\n".encode()) == expected


def test_a_key_rule_added_in_one_place_applies_to_every_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    original = yamlrules.key_refused

    def no_secrets(key: str, *, plain: bool = True) -> str | None:
        return "keys named 'secret' are not allowed" if key == "secret" else original(key, plain=plain)

    monkeypatch.setattr(yamlrules, "key_refused", no_secrets)
    monkeypatch.setattr(plainyaml._scalars, "keys", {})  # forget the key texts already judged
    text = "title: a\nprovider:\n  secret: x\n"
    assert plainyaml.load(text) is plainyaml.UNSURE
    assert refusal(frontmatter.load_front_matter, f"---\n{text}---\n".encode()) == (
        "keys named 'secret' are not allowed (line 4)"
    )
    assert plainyaml.load("title: a\nprovider:\n  name: x\n") == {"title": "a", "provider": {"name": "x"}}
