"""urls.py is the one URL check: what it keeps, it keeps unchanged when asked again."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feedpub.urls import http_url, is_http

URLS = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "javascript", ""]),
    st.sampled_from(
        ["example.org", "EXAMPLE.org", "bücher.example", "user:pw@example.org", "[::1]", "127.0.0.1:8080", "", "a..b"]
    ),
    st.text(alphabet=st.sampled_from(list("/?#=&%é ab~<>\"'\t")), max_size=12),
)


@settings(max_examples=600, derandomize=True, deadline=None)
@given(st.one_of(URLS, st.text(max_size=30)))
def test_http_url_is_a_fixed_point(value: str) -> None:
    # The JSON feed and the directory page keep a URL as written once http_url accepts
    # it; what parsing stored (http_url's output) must therefore be accepted unchanged.
    url = http_url(value)
    if url is not None:
        assert http_url(url) == url
        assert is_http(url), "every URL a feed may carry is http(s)"


def test_a_normalised_url_is_accepted_as_it_is() -> None:
    url = http_url("HTTPS://Bücher.example/ä?q=1")
    assert url == "https://xn--bcher-kva.example/%C3%A4?q=1"
    assert http_url(url) == url


def test_is_http_is_the_looser_question() -> None:
    assert is_http("HTTPS://user:pw@example.org/a b")
    assert http_url("HTTPS://user:pw@example.org/a b") is None
    for value in ("ftp://example.org/", "/relative", "https://", "http://[::1", "javascript:alert(1)"):
        assert not is_http(value), value
