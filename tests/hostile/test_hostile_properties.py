"""Property-based tests: front matter generated from the article schema, with the
types and values of its fields mutated, never makes feedpub raise, and every feed
rendered from what it accepts is well-formed, links only to http(s) and carries no
forbidden HTML.

Deterministic (``derandomize``) and modest in size for CI. To run the generators at
scale (not in CI): ``FEEDPUB_HYPOTHESIS_EXAMPLES=20000 pytest tests/hostile/test_hostile_properties.py``;
``fuzz/fuzz_parse.py`` mutates raw bytes instead.
"""

from __future__ import annotations

import os
import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import yaml
from hostile_checks import HTTP_URL, TAG_LIKE, check_feed, check_html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedpub.collect.article import parse_article
from feedpub.config import Site
from feedpub.records import Article, Rejection, Selection, Topic
from feedpub.render.feeds import render_feed
from feedpub.render.item_html import item_html
from feedpub.text import plain_text
from feedpub.urls import http_url

CI = settings(
    max_examples=int(os.environ.get("FEEDPUB_HYPOTHESIS_EXAMPLES", "200")),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Text with the characters that matter: markup, entities, controls, bidi and zero-width.
HOSTILE_CHARS = st.sampled_from(
    [
        *"<>&\"';:/\\#%?=@ \t\n\r\x00\x01\x0b\x1f\x7f\x85\u200b\u200f\u202e\u2066\ufeff\ufffe\uffff",
        "<script>",
        "</script>",
        "<iframe src=x>",
        "<img src=x onerror=alert(1)>",
        "&lt;",
        "&gt;",
        "&amp;",
        "&#106;",
        "&#x27;",
        "javascript:",
        "data:",
        "java\tscript:",
        "//",
        "http://",
        "https://",
        "\U0001f600",
        "人工",
        "مر",
    ]
)
HOSTILE_TEXT = st.lists(st.one_of(HOSTILE_CHARS, st.text(string.ascii_letters + string.digits, max_size=5)), max_size=12).map(
    "".join
)
URLS = st.one_of(
    st.builds(
        lambda h, p: f"https://{h}/{p}",
        st.sampled_from(["example.com", "bücher.example", "EXAMPLE.com:8080", "[::1]", "a..b", "u:p@x.com"]),
        HOSTILE_TEXT,
    ),
    st.builds(
        lambda s, r: s + r,
        st.sampled_from(
            ["javascript:", "JavaScript:", "data:", "vbscript:", "//", "/", " http://", "http:", "ftp://", "&#104;ttp://"]
        ),
        HOSTILE_TEXT,
    ),
    HOSTILE_TEXT,
)
DATES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), timezone(timedelta(minutes=330))]
        ),
    ),
    st.dates(),
    st.sampled_from(
        [
            "2021-01-15T10:00:00Z",
            "2021-01-15",
            "01/02/2021",
            "tomorrow",
            "2021-02-30",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-05:00",
            "",
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    HOSTILE_TEXT,
    DATES,
    st.sampled_from(["yes", "no", "on", "off", "null", "~", "nan", "inf", "-inf", "1e999", "42", "0x1F"]),
)
JUNK = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)), max_leaves=12
)


def _maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field's proper kind of value most of the time, any junk otherwise."""
    return st.one_of(good, good, JUNK)


IMAGE = st.fixed_dictionaries(
    {"url": _maybe(URLS)},
    optional={
        "width": _maybe(st.integers(0, 5000)),
        "height": _maybe(st.integers(0, 5000)),
        "title": _maybe(HOSTILE_TEXT),
        "isCached": JUNK,
    },
)
PROVIDER = st.fixed_dictionaries({}, optional={"name": _maybe(HOSTILE_TEXT), "domain": _maybe(HOSTILE_TEXT), "images": JUNK})
RELATED = st.fixed_dictionaries(
    {"webUrl": _maybe(URLS)},
    optional={
        "title": _maybe(HOSTILE_TEXT),
        "excerpt": _maybe(HOSTILE_TEXT),
        "publishedDateTime": _maybe(DATES),
        "provider": _maybe(PROVIDER),
        "images": _maybe(st.lists(IMAGE, max_size=2)),
        "quality": JUNK,
    },
)
FRONT_MATTER = st.fixed_dictionaries(
    {
        "title": _maybe(HOSTILE_TEXT),
        "publishedDateTime": _maybe(DATES),
        "webUrl": _maybe(URLS),
    },
    optional={
        "category": JUNK,
        "excerpt": _maybe(HOSTILE_TEXT),
        "originalUrl": _maybe(URLS),
        "type": _maybe(st.sampled_from(["article", "video"])),
        "quality": _maybe(st.integers(-1, 200)),
        "heat": JUNK,
        "published": _maybe(st.booleans()),
        "topics": _maybe(st.lists(_maybe(HOSTILE_TEXT), max_size=5)),
        "images": _maybe(st.lists(IMAGE, max_size=3)),
        "provider": _maybe(PROVIDER),
        "related": _maybe(st.lists(RELATED, max_size=4)),
        "secured": HOSTILE_TEXT,
        "featuredContent": HOSTILE_TEXT,
    },
)


class _NoAliases(yaml.SafeDumper):
    """Dump each value in full: the generator may reuse one object in two places."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _article_file(fm: dict[str, Any]) -> bytes:
    return ("---\n" + yaml.dump(fm, Dumper=_NoAliases, allow_unicode=True) + "---\n").encode("utf-8", "surrogatepass")


def check_rendered(article: Article) -> None:
    """Render one accepted article in both formats and check the feeds."""
    topic = Topic(key="t", name=article.topics[0] if article.topics else "t", slug="t")
    sel = Selection(topic=topic, items=(article,), total=1, updated=article.published_at)
    for fmt in ("rss", "atom"):
        check_feed(render_feed(sel, Site(title="Hostile"), fmt).data)
    check_html(item_html(article))


@CI
@given(FRONT_MATTER)
def test_generated_front_matter_never_raises_and_renders_safely(fm: dict[str, Any]) -> None:
    result = parse_article("gen.md", _article_file(fm))
    assert isinstance(result, (Article, Rejection))
    if isinstance(result, Rejection):
        assert result.reason and result.reason.isprintable()
        return
    assert HTTP_URL.match(result.url)
    assert all(HTTP_URL.match(i.url) for i in result.images) and all(HTTP_URL.match(r.url) for r in result.related)
    for text in (result.title, result.excerpt, *result.topics):
        assert not TAG_LIKE.search(text)
    check_rendered(result)


@CI
@given(st.binary(max_size=300), FRONT_MATTER)
def test_arbitrary_bytes_spliced_into_a_file_never_raise(junk: bytes, fm: dict[str, Any]) -> None:
    data = _article_file(fm)
    cut = len(junk) % (len(data) + 1)
    result = parse_article("gen.md", data[:cut] + junk + data[cut:])
    assert isinstance(result, (Article, Rejection))
    if isinstance(result, Article):
        check_rendered(result)


@CI
@given(st.one_of(URLS, JUNK))
def test_http_url_gives_an_absolute_http_uri_or_nothing(value: Any) -> None:
    url = http_url(value)
    assert url is None or (HTTP_URL.match(url) and url.isascii())
    assert http_url(value, decode_entities=True) is None or HTTP_URL.match(http_url(value, decode_entities=True) or "")


@CI
@given(HOSTILE_TEXT)
def test_plain_text_is_xml_safe_and_markup_free(value: str) -> None:
    text = plain_text(value)
    assert not TAG_LIKE.search(text)
    assert text == plain_text(text) or "&" in text  # idempotent except for entities it left decoded
    check_feed(f"<t>{text.replace('&', '&amp;').replace('<', '&lt;')}</t>".encode())


def test_dates_at_the_window_edges_render() -> None:
    """The first and last accepted instants survive feedgen's date formatting."""
    base = {"title": "Edge", "webUrl": "https://example.com/edge"}
    for when in ("1970-01-01T00:00:00Z", "2199-12-31T23:59:59Z", date(1970, 1, 1)):
        result = parse_article("edge.md", _article_file({**base, "publishedDateTime": when}))
        assert isinstance(result, Article), when
        check_rendered(result)
