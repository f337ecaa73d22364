"""Every hostile fixture file gives the outcome expected.yaml records for it.

One file per case in ``cases/``: published (with the fields that must hold), a field
dropped, or rejected with a reason. Also: reasons are printable and never carry
a secret, and the pure-Python YAML loader (used when libyaml is not built) gives the
same protection.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile_checks import SECRET

from feedpub.collect import frontmatter
from feedpub.collect.article import parse_article
from feedpub.records import Article, Rejection

HERE = Path(__file__).parent
CASES = HERE / "cases"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
NAMES = sorted(p.name for p in CASES.iterdir())


def _plain(value: object) -> object:
    """A record field as the YAML table writes it (tuples as lists, dates as ISO text)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__slots__"):
        return {k: _plain(getattr(value, k)) for k in value.__slots__}
    return value


def _check(result: Article | Rejection, expected: dict[str, Any], name: str) -> None:
    if "rejected" in expected:
        assert isinstance(result, Rejection), f"{name} was accepted, expected: {expected['rejected']}"
        assert expected["rejected"] in result.reason
        return
    assert isinstance(result, Article), f"{name} rejected: {result.reason}"
    for field, want in (expected.get("accepted") or {}).items():
        attr, _, check = field.partition("_")
        if check in ("length", "ends", "count"):
            got = getattr(result, attr)
            if check == "ends":
                assert got.endswith(want)
            else:
                assert len(got) == want
        else:
            assert _plain(getattr(result, field)) == want, field


def test_every_case_has_an_expected_outcome() -> None:
    assert sorted(EXPECTED) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_case(name: str) -> None:
    result = parse_article(name, (CASES / name).read_bytes())
    _check(result, EXPECTED[name], name)
    if isinstance(result, Rejection):
        assert result.reason.isprintable()
        assert SECRET not in result.reason


@pytest.mark.parametrize(
    "name",
    [n for n in NAMES if n.startswith(("yaml-", "frame-", "type-", "text-"))],
)
def test_case_with_the_pure_python_loader(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml, PyYAML's own loader is used; the outcome must be as safe."""
    monkeypatch.setattr(frontmatter, "SafeLoader", yaml.SafeLoader)
    result = parse_article(name, (CASES / name).read_bytes())
    if name == "yaml-lone-surrogate.md":
        # PyYAML's Python scanner builds the surrogate; cleaning removes it.
        assert isinstance(result, Article)
        assert result.title == "Lone surrogate"
    elif name == "yaml-deep-flow.md":
        assert isinstance(result, Rejection) and "nested deeper than 32 levels" in result.reason
    elif name in ("yaml-syntax-error.md", "yaml-impossible-timestamp.md", "yaml-timestamp-bad-offset.md"):
        # The Python loader words some errors differently; the outcome is the same.
        assert isinstance(result, Rejection)
    else:
        _check(result, EXPECTED[name], name)


def test_a_secret_never_reaches_an_article_record() -> None:
    for name in NAMES:
        result = parse_article(name, (CASES / name).read_bytes())
        assert SECRET not in repr(result), name
