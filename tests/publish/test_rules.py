"""``publish.rules``: which headers and body each object gets, and how a bad rule is refused (no store needed)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from feedpub.cli import main
from feedpub.config import PublishRule, PublishSettings, load_config
from feedpub.config_values import glob_regex
from feedpub.errors import ConfigError
from feedpub.publish.rules import GZIP, ObjectHeaders, body_for, headers_for, prepare, rule_for
from feedpub.records import OutputFile

from ..conftest import FIXTURE_SITE, REPO

RSS = "application/rss+xml; charset=utf-8"
JSON = "application/feed+json; charset=utf-8"


def out(name: str, data: bytes = b"<rss>feed</rss>", content_type: str = RSS) -> OutputFile:
    return OutputFile(name=name, data=data, content_type=content_type)


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("index.html", "index.html", True),
        ("index.html", "sub/index.html", True),  # no "/" in the glob: the last segment, as in .gitignore
        ("*.json", "archive/2026/ai.json", True),
        ("*.json", "ai.json.bak", False),
        ("archive/**", "archive/2026/11/ai.xml", True),
        ("archive/**", "archived.xml", False),
        ("archive/*.xml", "archive/2026/ai.xml", False),  # "*" stays inside one segment
        ("**/ai.xml", "ai.xml", True),
        ("**/ai.xml", "a/b/ai.xml", True),
        ("?i.xml", "ai.xml", True),
        ("[!a]i.xml", "ai.xml", False),
        ("[a-c]i.xml", "bi.xml", True),
        ("*.XML", "ai.xml", False),  # object names are case-sensitive, as S3 keys are
    ],
)
def test_globs_match_object_names(pattern: str, name: str, matches: bool) -> None:
    assert bool(glob_regex(pattern).match(name)) is matches


def test_the_first_matching_rule_wins_and_keys_left_out_keep_the_defaults() -> None:
    settings = PublishSettings(
        cache_control="max-age=300",
        rules=(
            PublishRule("index.html", cache_control="max-age=60"),
            PublishRule("*.json", gzip=True),
            PublishRule("*", cache_control="max-age=3600", content_type="text/plain; charset=utf-8"),
        ),
    )
    assert headers_for(out("index.html", content_type="text/html; charset=utf-8"), settings) == ObjectHeaders(
        "text/html; charset=utf-8", "max-age=60"
    )
    # The second rule, not the catch-all after it; its file kind's type and the default cache.
    assert headers_for(out("ai.json", content_type=JSON), settings) == ObjectHeaders(JSON, "max-age=300", GZIP)
    assert headers_for(out("ai.xml"), settings) == ObjectHeaders("text/plain; charset=utf-8", "max-age=3600")
    # No rules: today's defaults, no encoding.
    assert headers_for(out("ai.xml"), PublishSettings()) == ObjectHeaders(RSS, "max-age=300", "")
    assert rule_for("ai.xml", ()) is None


def test_gzip_bodies_are_deterministic_and_carry_no_time_or_name() -> None:
    data = b"<rss>" + b"<item>same words again</item>" * 200 + b"</rss>"
    headers = ObjectHeaders(RSS, "max-age=300", GZIP)
    first, second = body_for(data, headers), body_for(data, headers)
    assert first == second and gzip.decompress(first) == data and len(first) < len(data) // 10
    # RFC 1952 header: magic, deflate, flags (no FNAME, no FCOMMENT), MTIME all zero.
    assert first[:3] == b"\x1f\x8b\x08" and first[3] == 0 and first[4:8] == b"\0\0\0\0"
    assert zlib.decompress(first, 16 + zlib.MAX_WBITS) == data
    # Without gzip the body is the file itself.
    assert body_for(data, ObjectHeaders(RSS, "max-age=300")) is data


def test_prepare_keeps_order_groups_and_gives_each_object_its_body() -> None:
    settings = PublishSettings(rules=(PublishRule("*.json", gzip=True),))
    files = [out("ai.xml"), OutputFile("ai.json", b'{"a": 1}', JSON), OutputFile("index.html", b"<p>", "text/html", group=1)]
    objects = prepare(files, settings)
    assert [(o.name, o.group) for o in objects] == [("ai.xml", 0), ("ai.json", 0), ("index.html", 1)]
    assert objects[0].body == files[0].data and gzip.decompress(objects[1].body) == files[1].data


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("- {match: '[abc'}", "publish.rules[0].match: '[abc': '[' without its closing ']'"),
        ("- {match: '/abs.xml'}", "publish.rules[0].match: '/abs.xml': a glob of object names relative to the prefix"),
        ("- {match: '../x'}", "publish.rules[0].match: '../x': a glob of object names relative to the prefix"),
        ("- {match: '*.xml', gzipped: true}", "publish.rules[0].gzipped: unknown key (known: cache_control, content_type, gzip"),
        ("- {match: '*.xml', gzip: 'yes'}", "publish.rules[0].gzip: expected true or false, got str 'yes'"),
        ("- {match: '*.xml', gzip: true}\n    - {cache_control: max-age=1}", "publish.rules[1].match: missing"),
        ("- {match: 7}", "publish.rules[0].match: expected a glob"),
        ("- {match: '*.xml', content_type: rss}", "publish.rules[0].content_type: 'rss': not a Content-Type"),
        ("- {match: '*.xml', cache_control: ''}", "publish.rules[0].cache_control: '': must be one non-empty header value"),
        ("{match: '*.xml'}", "publish.rules: expected a list of rules"),
        ("- '*.xml'", "publish.rules[0]: expected a mapping"),
        (
            "- {match: '*.xml'}\n    - {match: '*.xml', gzip: true}",
            "publish.rules[1].match: '*.xml' is already publish.rules[0]'s: the first match wins",
        ),
    ],
)
def test_a_bad_rule_stops_the_run_at_load_with_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rules: str, message: str
) -> None:
    cfg = tmp_path / "feedpub.yaml"
    cfg.write_text(f"sources: ['{FIXTURE_SITE}']\npublish:\n  rules:\n    {rules}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    assert str(caught.value).startswith(f"{cfg}: {message}")
    # Every command refuses it the same way, before reading an article: exit 2, one line.
    assert main(["check", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"feedpub: error: {cfg}: {message}")


def test_the_shipped_example_rules_load_and_do_what_their_comments_say() -> None:
    config = load_config(REPO / "config" / "feedpub.yaml")
    settings = config.publish
    assert settings.rules, "config/feedpub.yaml ships example rules"

    def cache(name: str, kind: str = RSS) -> str:
        return headers_for(out(name, content_type=kind), settings).cache_control

    assert "immutable" in cache("archive/2026/11/ai.xml")
    short = [cache("index.html", "text/html; charset=utf-8"), cache("ai.xml"), cache("ai.atom"), cache("ai.json", JSON)]
    opml = cache("index.opml", "text/x-opml; charset=utf-8")
    seconds = [int(c.split("max-age=")[1].split(",")[0]) for c in [*short, opml]]
    assert max(seconds[:-1]) < seconds[-1], "OPML is cached longer than the page and the feeds"
    # The example turns gzip on for nothing: it is off by default for the clients' sake.
    assert not any(headers_for(out(n), settings).content_encoding for n in ("ai.xml", "index.html"))
