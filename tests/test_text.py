"""Cleaning of article text: spaces folded the same way whichever path the text takes."""

from __future__ import annotations

import re
import sys

from feedpub.text import plain_text

# Every character r"\s" matches, less the controls that are dropped rather than folded
# (XML 1.0 forbids \x0b, \x0c and \x1c-\x1f; \x85 is a C1 control).
DROPPED = "\x0b\x0c\x1c\x1d\x1e\x1f\x85"
SPACES = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF and re.fullmatch(r"\s", chr(c))]
SPACES = [s for s in SPACES if s not in DROPPED]


def test_every_kind_of_space_is_folded_into_one() -> None:
    assert len(SPACES) > 20  # tab, newline, NBSP, the Unicode spaces, ...
    for s in SPACES:
        plain = f"{s}Twitter{s}{s}previews  an{s}AI{s}"
        assert plain_text(plain) == "Twitter previews an AI", repr(s)
        # Text with markup takes the other path; its spaces are folded alike.
        assert plain_text(f"<b>{plain}</b>") == "Twitter previews an AI", repr(s)


def test_text_without_markup_or_runs_of_spaces_is_kept_as_it_is() -> None:
    assert plain_text("Café-sized data centre: 3 × faster") == "Café-sized data centre: 3 × faster"
