"""The record of what feedpub wrote in an output folder: ``.feedpub-written`` (JSON) inside it.

feedpub overwrites a file only when this record lists its name (or the file already
holds exactly the bytes feedpub would write): a file someone else put at a feed's
name, an article in a folder that is both source and output say, is never replaced.
The record lives in the folder itself, like the S3 target's manifest object, so it
moves, is backed up and is deleted with the files it describes; a cache folder, safe
to delete at any time, would be the wrong home. A record that is missing, damaged or
not a regular file lists nothing: the safe side (a refused file, never a lost one).
"""

from __future__ import annotations

import json
import os
import re
import stat

RECORD_NAME = ".feedpub-written"
_VERSION = 1
_LIMIT = 16 * 1024 * 1024  # a record of that size is not one feedpub wrote


def load(root_fd: int) -> frozenset[str]:
    """The names the record in the folder open as ``root_fd`` lists (empty when there is none that can be trusted)."""
    try:
        fd = os.open(RECORD_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=root_fd)
    except OSError:
        return frozenset()  # missing, or a link (never read through)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _LIMIT:
            return frozenset()
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError):
        return frozenset()
    finally:
        os.close(fd)
    names = data.get("written") if isinstance(data, dict) and data.get("version") == _VERSION else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return frozenset()
    return frozenset(names)


def dump(names: frozenset[str]) -> bytes:
    """The record's bytes for ``names`` (sorted: the same names give the same file)."""
    body = {"version": _VERSION, "written_by": "feedpub", "written": sorted(names)}
    return (json.dumps(body, indent=1) + "\n").encode("ascii")


def absent(root_fd: int) -> bool:
    """Whether the folder has no record at all: written by a feedpub from before records, or never."""
    try:
        os.stat(RECORD_NAME, dir_fd=root_fd, follow_symlinks=False)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


# What says "this file is feedpub's own, from before records": the same self link (RSS,
# Atom), the same feed_url (JSON Feed), the same feed folder (OPML), the directory page's
# own wording, a topic page's same feed address. A stranger's file at a feed's name
# carries none of these.
_SELF = re.compile(rb'href="([^"]+)" rel="self"')
_FEED_URL = re.compile(rb'"feed_url": "([^"]+)"')
_XML_URL = re.compile(rb'xmlUrl="([^"]*/)[^"/]*"')
_DIRECTORY = b"all feeds at once (OPML)"
# A topic page: the address of its first feed, offered for copying (render/page.py).
_PAGE_FEED = re.compile(rb'<input id="url-[a-z]+" type="url" readonly value="([^"]+)"')


def _first(pattern: re.Pattern[bytes], data: bytes) -> bytes | None:
    found = pattern.search(data, 0, 65536)
    return found.group(1) if found else None


def earlier_own(name: str, old: bytes, new: bytes) -> bool:
    """Whether ``old``, at ``name`` in a folder with no record, is this feed as an earlier feedpub wrote it.

    Used only when :func:`absent`: a folder written before records existed would
    otherwise refuse every changed feed once after an upgrade.
    """
    if name.endswith((".xml", ".atom")):
        mine = _first(_SELF, new)
        return mine is not None and b"feedpub</generator>" in old[:65536] and _first(_SELF, old) == mine
    if name.endswith(".json"):
        mine = _first(_FEED_URL, new)
        return mine is not None and _first(_FEED_URL, old) == mine
    if name.endswith(".opml"):
        mine = _first(_XML_URL, new)
        return mine is not None and old.startswith(b"<?xml") and _first(_XML_URL, old) == mine
    if name.endswith(".html"):
        if _DIRECTORY in new:
            return _DIRECTORY in old
        mine = _first(_PAGE_FEED, new)
        return mine is not None and _first(_PAGE_FEED, old) == mine
    return False
