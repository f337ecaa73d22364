"""The reload tag serve adds to the pages it sends (the served copy only; see test_serve)."""

from __future__ import annotations

from feedpub.reload import DEFAULT_POLICY, allow_script, inject

TAG = b'<script src="/news/__feedpub/reload.js" data-build="7" data-poll="/news/__feedpub/build"></script>\n'


def test_the_tag_goes_before_the_last_body_end_and_the_policy_allows_only_it() -> None:
    page, policy = inject(b"<html><body><p>a</p></body>\n</html>\n", 7, "/news/")
    assert page == b"<html><body><p>a</p>" + TAG + b"</body>\n</html>\n"
    assert policy == allow_script(DEFAULT_POLICY)
    assert policy.endswith("script-src 'self'; connect-src 'self'") and "'unsafe-inline'" not in policy.split("script-src")[1]


def test_a_page_without_body_end_gets_the_tag_at_the_end() -> None:
    assert inject(b"<p>a</p>", 7, "/news/")[0] == b"<p>a</p>" + TAG


def test_a_policy_the_page_sets_moves_to_the_header_widened_for_the_script_only() -> None:
    own = b"default-src 'none'; script-src 'none'; style-src 'unsafe-inline'"
    meta = b'<meta http-equiv="Content-Security-Policy" content="' + own + b'">'
    page, policy = inject(b"<html><head>" + meta + b"</head><body></body></html>", 7, "/news/")
    # Left in the page, the meta policy would block the script whatever the header says.
    assert b"Content-Security-Policy" not in page and TAG in page
    assert policy == "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'"
