"""A small source of articles for the config tests, and the ``feedpub`` command run as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ARTICLE = """---
title: "{title}"
publishedDateTime: 2025-03-0{day}T10:00:00Z
webUrl: "https://news.test/{slug}"
quality: 60
topics: [{topics}]
---
"""

TOPIC_DEFINITION = "_id: space\nname: Space\ndescription: Rockets\n"


def make_site(root: Path) -> Path:
    """Articles on Climate and Computer Vision, and a definition of Space (no article uses it)."""
    news = root / "_news"
    news.mkdir(parents=True)
    (news / "a.md").write_text(ARTICLE.format(title="Ice melts", day=1, slug="ice", topics="Climate"), encoding="utf-8")
    (news / "b.md").write_text(
        ARTICLE.format(title="Cameras see", day=2, slug="cams", topics="Computer Vision, Climate"), encoding="utf-8"
    )
    topics = root / "_data" / "topics"
    topics.mkdir(parents=True)
    (topics / "space.yaml").write_text(TOPIC_DEFINITION, encoding="utf-8")
    return root


def feedpub(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """``feedpub ARGS`` started as its own process in ``cwd`` (wait with ``communicate``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "feedpub", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
    )


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``feedpub ARGS`` run to its end (two minutes at most: a hang fails the test)."""
    proc = feedpub(*args, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
