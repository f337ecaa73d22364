"""Facts that have one home stay there: no other module spells them again.

A second spelling is how the copies drifted apart before (a feed's Content-Type in
four modules, the http(s) check in five). Each test names the fact, its home, and the
modules allowed an exception, with the reason.
"""

from __future__ import annotations

import re

from feedpub.formats import BY_KEY, UNKNOWN_CONTENT_TYPE

from .conftest import REPO

PACKAGE = REPO / "src" / "feedpub"


def spelled(pattern: str, *, home: set[str]) -> list[str]:
    """The modules (relative to the package) outside ``home`` whose source matches ``pattern``."""
    found = re.compile(pattern)
    modules = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py"))
    assert "formats.py" in modules and len(modules) > 30, "the package sources are where the test looks"
    return [m for m in modules if m not in home and found.search((PACKAGE / m).read_text(encoding="utf-8"))]


def test_media_types_of_output_files_live_in_formats() -> None:
    types = "|".join(re.escape(t) for t in [*(f.media_type for f in BY_KEY.values()), UNKNOWN_CONTENT_TYPE])
    assert spelled(types, home={"formats.py"}) == []


def test_the_http_scheme_check_lives_in_urls() -> None:
    # A quoted "http" or "https" on its own is a scheme list; URLs ("https://...") are not.
    assert spelled(r"""["']https?["']""", home={"urls.py"}) == []


def test_time_formatting_lives_in_times() -> None:
    assert spelled(r"\.strftime\(|fromisoformat\(", home={"times.py"}) == []


def test_atomic_writes_live_in_files() -> None:
    # The cache package streams its own temporary files (an index written block by
    # block, the up-to-date stamp): how a cache survives a crash is its own business.
    offenders = spelled(r"os\.replace\(|mkstemp\(", home={"files.py"})
    assert [m for m in offenders if not m.startswith("cache/")] == []
