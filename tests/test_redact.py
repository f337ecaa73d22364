"""What is never shown: credentials by key name, a URL's user info, credential-like query values."""

from __future__ import annotations

import pytest

from feedpub import redact
from feedpub.config_values import shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pw@host.test/x", "https://<redacted>@host.test/x"),
        ("https://token@host.test/", "https://<redacted>@host.test/"),
        ("https://hub.test/?token=abc&x=1", "https://hub.test/?token=<redacted>&x=1"),
        ("https://h.test/?X-Amz-Signature=abc", "https://h.test/?X-Amz-Signature=<redacted>"),
        ("https://h.test/?page=2&api_key=k", "https://h.test/?page=2&api_key=<redacted>"),
        ("https://news.example.org/a@b", "https://news.example.org/a@b"),  # an '@' in the path is no user info
        ("Example News Desk", "Example News Desk"),
    ],
)
def test_text(text: str, expected: str) -> None:
    assert redact.text(text) == expected


@pytest.mark.parametrize(
    ("name", "secret"),
    [("AWS_SECRET_ACCESS_KEY", True), ("api_token", True), ("password", True), ("hub_secret", True),
     ("authorization", True), ("author", False), ("title", False), ("max_deletes", False), ("profile", False)],
)  # fmt: skip
def test_secret_names(name: str, secret: bool) -> None:
    assert redact.secret_name(name) is secret


def test_values_under_a_secret_name_are_hidden_whole_in_lists_and_mappings_too() -> None:
    assert redact.value("token", "abc") == "<redacted>"
    assert redact.value("hubs", ["https://u:p@h.test/"]) == ["https://<redacted>@h.test/"]
    assert redact.value("publish", {"password": "x", "workers": 8}) == {"password": "<redacted>", "workers": 8}
    assert redact.value("token", None) is None  # nothing set: nothing to hide


def test_error_messages_show_values_redacted() -> None:
    assert shown("https://u:secret@h.test/") == "'https://<redacted>@h.test/'"
