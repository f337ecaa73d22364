"""``-v``: one line on stderr for each file read, skipped, selected, rendered, written and
uploaded; nothing more without it. Through the installed console script, as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import FIXTURE_SITE

FEEDPUB = str(Path(sys.executable).with_name("feedpub"))
FEEDS = [f"{slug}.{ext}" for slug in ("all", "home", "robots") for ext in ("atom", "json", "xml")]


def feedpub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FEEDPUB, *args], capture_output=True, text=True, cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


def lines(stderr: str, verb: str) -> list[str]:
    return sorted(line.removeprefix(verb + " ") for line in stderr.splitlines() if line.startswith(verb + " "))


def test_verbose_build_lists_every_step_one_line_each(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    args = ["build", "--source", "site", "--output", "out", "--base-url", "https://feeds.test/"]
    plain = feedpub(*args, "--no-cache", "--output", "plain", cwd=tmp_path)
    done = feedpub(*args, "-v", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    said = done.stderr
    assert lines(said, "read") == [
        f"site/_news/{n}" for n in ("2025-03-01-arm.md", "2025-03-02-vacuum.md", "2025-03-03-draft.md")
    ]
    assert lines(said, "feedpub: skipped") == [
        "site/_news/2025-03-04-broken.md: missing required field 'webUrl' (or 'originalUrl')"
    ]
    assert lines(said, "selected") == ["all: 2 of 3 articles", "home: 2 of 2 articles", "robots: 2 of 3 articles"]
    assert lines(said, "rendered") == sorted([*FEEDS, "index.opml", "index.html"])
    assert lines(said, "written") == sorted(f"out/{n}" for n in [*FEEDS, "index.opml", "index.html"])
    # Nothing else is said: without -v, only the skipped file.
    verbs = {"read", "feedpub: skipped", "selected", "rendered", "written"}
    assert all(any(line.startswith(v + " ") for v in verbs) for line in said.splitlines()), said
    assert plain.stderr.splitlines() == [line for line in said.splitlines() if line.startswith("feedpub: skipped")]

    # Again: the last run's selection and the rendered feeds are reused, nothing is rewritten,
    # and the broken file (reported once without -v) is listed again.
    again = feedpub(*args, "-v", cwd=tmp_path).stderr
    assert lines(again, "reused") == sorted(
        ["the last run's selection (4 article files unchanged since)"] + [f"{n} (render cache)" for n in FEEDS]
    )
    assert lines(again, "unchanged") == sorted(f"out/{n}" for n in [*FEEDS, "index.opml", "index.html"])
    assert lines(again, "written") == [] and len(lines(again, "feedpub: skipped")) == 1
    # An up-to-date run without -v says nothing, and -v is never answered from its stamp.
    assert feedpub(*args, cwd=tmp_path).stderr == ""
    assert feedpub(*args, cwd=tmp_path).stderr == ""
    assert "unchanged out/index.html" in feedpub(*args, "-v", cwd=tmp_path).stderr


def test_verbose_publish_lists_uploads(tmp_path: Path) -> None:
    args = ["publish", "--source", str(FIXTURE_SITE), "--target", "pub", "--base-url", "https://feeds.test/", "-v", "--no-cache"]
    first = feedpub(*args, cwd=tmp_path)
    assert first.returncode == 0
    assert lines(first.stderr, "uploaded") == sorted(f"{n} to pub" for n in [*FEEDS, "index.opml", "index.html"])
    again = feedpub(*args, cwd=tmp_path).stderr
    assert lines(again, "uploaded") == [] and len(lines(again, "unchanged")) == 11


def test_verbose_and_quiet_together_is_a_usage_error(tmp_path: Path) -> None:
    done = feedpub("build", "--source", str(FIXTURE_SITE), "-q", "-v", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "feedpub: error: argument --verbose/-v: not allowed with argument --quiet/-q (see 'feedpub build --help')\n"
    )
