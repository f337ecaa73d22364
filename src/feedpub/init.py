"""``feedpub init [DIR]``: a new site that ``feedpub build`` turns into feeds at once.

It writes ``config/feedpub.yaml`` (the template of :mod:`feedpub.config_template`: every
key with its default, commented), one example article in ``content/`` and one topic
definition in ``content/_data/topics/``. Nothing that exists is ever overwritten: every
path is checked before the first file is written, and each file is created exclusively,
so a file that appears meanwhile is not replaced either.
"""

from __future__ import annotations

import os
from pathlib import Path

from feedpub import config_template
from feedpub.config_file import CANDIDATES
from feedpub.errors import ConfigError, PublishError
from feedpub.text import printable

ARTICLE = """---
title: "Hello from feedpub"
excerpt: "The first article of this site: edit it, copy it, or delete it once you have your own."
publishedDateTime: 2025-01-06T09:00:00Z
webUrl: "https://news.example.org/2025/01/06/hello-feedpub"
quality: 50
published: true
provider:
  name: Example News
  domain: news.example.org
topics:
  - Announcements
---
Only the front matter above reaches the feeds: title, excerpt, date, URL, quality,
topics, and optionally images and related coverage (see the README, "Article files").
"""

TOPIC = """_id: announcements
name: Announcements
description: News about this site
"""


def scaffold_files() -> dict[str, str]:
    """What ``init`` writes, by path relative to the site's folder."""
    return {
        os.path.join("config", "feedpub.yaml"): config_template.text(),
        os.path.join("content", "2025-01-06-hello-feedpub.md"): ARTICLE,
        os.path.join("content", "_data", "topics", "announcements.yaml"): TOPIC,
    }


def _in_the_way(folder: Path, files: dict[str, str]) -> Path | None:
    """The first path that exists where a file (or a folder on its way) would go, or a config file
    feedpub would read before the new one; None when nothing is in the way."""
    for name in CANDIDATES:  # found first when ``feedpub build`` runs in the folder
        if name not in files and os.path.lexists(folder / name):
            return folder / name
    for name in files:
        path = folder / name
        if os.path.lexists(path):
            return path
        for parent in path.relative_to(folder).parents:
            above = folder / parent
            if parent != Path() and os.path.lexists(above) and not above.is_dir():
                return above
    return None


def init(folder: Path) -> list[Path]:
    """Write a new site into ``folder`` (made if missing); the paths written.

    ConfigError (exit 2) naming the first path in the way, before anything is written;
    PublishError (exit 3) naming the path that could not be written.
    """
    files = scaffold_files()
    if os.path.lexists(folder) and not folder.is_dir():
        raise ConfigError(f"{printable(str(folder))}: exists and is not a folder")
    found = _in_the_way(folder, files)
    if found is not None:
        raise ConfigError(f"{printable(str(found))}: already exists; init overwrites nothing (nothing was written)")
    written: list[Path] = []
    for name, text in files.items():
        path = folder / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as fh:  # "x": never over a file that appeared meanwhile
                fh.write(text)
        except OSError as exc:
            raise PublishError(f"{printable(str(path))}: cannot write: {exc.strerror or exc}") from None
        written.append(path)
    return written
