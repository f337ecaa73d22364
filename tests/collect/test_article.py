"""The parse step: one article file -> Article or Rejection, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime

from feedpub.collect.article import parse_article
from feedpub.records import Article, Rejection

BASE = 'title: "A title"\npublishedDateTime: 2025-01-02T03:04:05Z\nwebUrl: "https://news.test/a"\n'


def parse(front: str, *, raw: bytes | None = None) -> Article | Rejection:
    return parse_article("a.md", raw if raw is not None else f"---\n{front}---\n".encode())


def test_minimal_article_has_defaults() -> None:
    a = parse(BASE)
    assert isinstance(a, Article)
    assert a.title == "A title"
    assert a.url == "https://news.test/a"
    assert a.published_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert a.quality == 0 and a.published is True and a.topics == () and a.images == ()


def test_crlf_bom_and_no_trailing_newline() -> None:
    raw = ("\ufeff---\r\n" + BASE.replace("\n", "\r\n") + "---").encode()
    a = parse("", raw=raw)
    assert isinstance(a, Article) and a.title == "A title"


def test_body_after_front_matter_and_unknown_fields_are_ignored() -> None:
    raw = f"---\n{BASE}shiny: new\n---\n\n# Body\n\n---\nmore: text\n".encode()
    a = parse("", raw=raw)
    assert isinstance(a, Article) and a.url == "https://news.test/a"


def test_dates_become_aware_utc() -> None:
    naive = parse(BASE.replace("2025-01-02T03:04:05Z", "2025-01-02 03:04:05"))
    offset = parse(BASE.replace("2025-01-02T03:04:05Z", '"2025-01-02T05:04:05+02:00"'))
    date_only = parse(BASE.replace("2025-01-02T03:04:05Z", "2025-01-02"))
    words = parse(BASE.replace("2025-01-02T03:04:05Z", '"Thu, 2 Jan 2025 03:04:05 GMT"'))
    assert isinstance(naive, Article) and naive.published_at.tzinfo == UTC
    assert isinstance(offset, Article) and offset.published_at == naive.published_at
    assert isinstance(date_only, Article) and date_only.published_at == datetime(2025, 1, 2, tzinfo=UTC)
    assert isinstance(words, Article) and words.published_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    ambiguous = parse(BASE.replace("2025-01-02T03:04:05Z", '"01/02/2025"'))
    assert isinstance(ambiguous, Rejection) and "ambiguous" in ambiguous.reason


def test_original_url_when_no_web_url() -> None:
    a = parse(BASE.replace("webUrl", "originalUrl"))
    assert isinstance(a, Article) and a.url == "https://news.test/a"


def test_entities_decoded_once_and_markup_stripped() -> None:
    a = parse(BASE.replace('"A title"', '"It&#8217;s <b>bold</b> &amp;amp; fine"') + 'excerpt: "a &lt; b, x &lt;y&gt;"\n')
    assert isinstance(a, Article)
    assert a.title == "It\u2019s bold &amp; fine"
    # Decoded once; what then looks like a tag is removed too (no HTML in plain-text fields).
    assert a.excerpt == "a < b, x"


def test_topics_string_is_one_topic() -> None:
    a = parse(BASE + "topics: Computer Vision\n")
    assert isinstance(a, Article) and a.topics == ("Computer Vision",)


def test_secured_is_not_kept() -> None:
    a = parse(BASE + 'secured: "TOPSECRET"\n')
    assert isinstance(a, Article) and "TOPSECRET" not in repr(a)


def test_image_url_entities_and_bad_images_dropped() -> None:
    a = parse(
        BASE
        + "images:\n"
        + '  - url: "https://img.test/x.jpg?a=1&#038;b=2"\n    width: 10\n    height: "20"\n'
        + '  - url: "javascript:alert(1)"\n'
        + "  - just a string\n"
    )
    assert isinstance(a, Article)
    assert [(i.url, i.width, i.height) for i in a.images] == [("https://img.test/x.jpg?a=1&b=2", 10, 20)]


def test_related_deduplicated_without_self_links() -> None:
    a = parse(
        BASE
        + "related:\n"
        + '  - {title: One, webUrl: "https://r.test/1"}\n'
        + '  - {title: Again, webUrl: "https://r.test/1"}\n'
        + '  - {title: Self, webUrl: "https://news.test/a"}\n'
        + '  - {title: Bad, webUrl: "ftp://r.test/2"}\n'
    )
    assert isinstance(a, Article) and [r.url for r in a.related] == ["https://r.test/1"]


def test_rejections_say_why() -> None:
    cases = {
        "no front matter": parse("", raw=b"just text\n"),
        "not closed": parse("", raw=f"---\n{BASE}".encode()),
        "not UTF-8": parse("", raw=b"---\ntitle: \xff\n---\n"),
        "missing required field 'title'": parse(BASE.replace('title: "A title"\n', "")),
        "missing required field 'publishedDateTime'": parse(BASE.replace("publishedDateTime: 2025-01-02T03:04:05Z\n", "")),
        "webUrl: not an absolute http(s) URL": parse(BASE.replace('"https://news.test/a"', '"/relative"')),
        "quality: expected a number": parse(BASE + "quality: [1]\n"),
        "YAML error at line 4": parse('title: "x\npublishedDateTime: [\n'),
        "not a mapping": parse("", raw=b"---\n- a\n- b\n---\n"),
    }
    for expected, result in cases.items():
        assert isinstance(result, Rejection), expected
        assert expected in result.reason, (expected, result.reason)


def test_each_provider_is_read_from_its_own_fields_however_often_it_recurs() -> None:
    """Providers are remembered by what is written, and what is written is all that counts."""
    cases = [
        ("provider:\n  name: CNET\n  domain: cnet.com\n", ("CNET", "cnet.com")),
        ("provider:\n  name: CNET\n  domain: CNET.com.\n", ("CNET", "cnet.com")),
        ("provider:\n  name: 5\n  domain: cnet.com\n", ("cnet.com", "cnet.com")),
        ("provider:\n  name: CNET\n", ("CNET", None)),
        ("provider:\n  name: '<b>CNET</b>'\n  domain: 'not a host'\n", ("CNET", None)),
        ("provider:\n  name: ''\n  domain: ''\n", None),
    ]
    for _ in range(2):  # the second time from what the first remembered
        for front, expected in cases:
            a = parse(BASE + front)
            assert isinstance(a, Article)
            got = None if a.provider is None else (a.provider.name, a.provider.domain)
            assert got == expected, front
