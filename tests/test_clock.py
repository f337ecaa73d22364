"""The clock going forward and backward: a cached build always equals a clean build at the same moment.

The caches that depend on the clock (the selection snapshot, the up-to-date stamp) are
valid only for clocks from the moment they were made until their ``valid_until``; a
clock set back (NTP, a wrong manual setting corrected) must not let a cached build keep
publishing an article a clean build holds back, nor the other way round.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from feedpub import build
from feedpub.build import Overrides
from feedpub.cache import uptodate
from feedpub.cache.selection import SelectionSnapshot
from feedpub.config import Config, Site
from feedpub.entry import main
from feedpub.records import SelectionState
from feedpub.select import Rules
from feedpub.times import micros

from .test_build import NOW, tree, write

DUE = NOW + timedelta(minutes=30)
"""When the "later" article falls due."""
AGED = NOW - timedelta(days=29) + timedelta(days=30)
"""When the "aging" article gets older than max_age_days (30)."""

# Around both moments, forward and backward, and back again: each is a clock setting.
CLOCK = [
    NOW,
    DUE + timedelta(hours=1),
    DUE - timedelta(hours=1),  # set back an hour: "later" is in the future again
    DUE - timedelta(minutes=1),  # forward, but nothing falls due: what was stored holds
    DUE,
    DUE - timedelta(microseconds=1),
    AGED + timedelta(seconds=1),  # "aging" is too old now
    AGED - timedelta(hours=1),  # set back: it is not
    DUE + timedelta(minutes=1),
    NOW - timedelta(days=3),  # before "arm" too: nothing is due but "aging"
    AGED + timedelta(days=1),
]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    news = tmp_path / "site" / "_news"
    write(news / "2025-05-30-arm.md", "Robot arm", NOW - timedelta(days=2))
    write(news / "2025-06-01-later.md", "Later story", DUE)
    write(news / "2025-05-03-aging.md", "Aging story", NOW - timedelta(days=29))
    return tmp_path / "site"


def _config(site: Path, out: Path, cache: Path) -> Config:
    return Config(
        sources=(site,),
        output=out,
        cache_dir=cache,
        site=Site(base_url="https://feeds.test/"),
        defaults=Rules(max_age=timedelta(days=30)),
    )


def _expected(when: datetime) -> set[str]:
    """The titles a correct build publishes in the Robots feed at ``when``."""
    stories = {"Robot arm": NOW - timedelta(days=2), "Later story": DUE, "Aging story": NOW - timedelta(days=29)}
    return {title for title, at in stories.items() if at <= when and when - at <= timedelta(days=30)}


def _titles(feed: bytes) -> set[str]:
    return {t for t in ("Robot arm", "Later story", "Aging story") if t.encode() in feed}


def test_cached_builds_equal_clean_builds_whichever_way_the_clock_moves(site: Path, tmp_path: Path) -> None:
    config = _config(site, tmp_path / "cached", tmp_path / "cache")
    reused = 0
    for step, now in enumerate(CLOCK):
        cached = build.run(config, Overrides(), now)
        clean_out = tmp_path / f"clean-{step}"
        build.run(replace(config, output=clean_out), Overrides(), now, use_cache=False)
        assert tree(config.output) == tree(clean_out), f"step {step}: {now}"
        assert _titles((config.output / "robots.xml").read_bytes()) == _expected(now), f"step {step}: {now}"
        assert cached.cache is not None and cached.cache.feeds_reused is not None
        reused += cached.cache.feeds_reused
        if step:
            # The caches were there to be used: every file was parsed before.
            assert cached.cache.parsed == 0
    # The render cache keys on what a feed shows, not on the clock: feeds whose items
    # did not change were taken from it, forward and backward alike.
    assert reused > 0


def test_a_stored_selection_is_valid_from_when_it_was_made_until_valid_until(tmp_path: Path) -> None:
    snapshot = SelectionSnapshot(tmp_path)
    (tmp_path / "index.bin").write_bytes(b"an index")  # the snapshot is tied to the index's identity
    until = NOW + timedelta(hours=1)
    state = SelectionState(accepted=0, newest=None, held_back={}, spellings={}, feeds={}, valid_until=until)
    assert snapshot.save(b"key", state, [], NOW)
    assert snapshot.load(b"key", NOW) is not None
    assert snapshot.load(b"key", until - timedelta(microseconds=1)) is not None
    assert snapshot.load(b"key", until) is None
    assert snapshot.load(b"key", NOW - timedelta(microseconds=1)) is None  # a clock set back
    assert snapshot.load(b"other key", NOW) is None


def test_the_up_to_date_shortcut_follows_the_clock_both_ways(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "feedpub.yaml"
    config.write_text("selection:\n  max_age_days: 30\nsite:\n  base_url: https://feeds.test/\n", encoding="utf-8")
    clock = {"now": micros(NOW)}
    # The one clock function: the up-to-date check and the build both read it.
    monkeypatch.setattr(uptodate, "_now_us", lambda: clock["now"])

    def run(out: Path, *extra: str) -> dict[str, Any]:
        args = ["build", "--config", str(config), "--source", str(site), "--output", str(out), "--json", *extra]
        assert main(args) == 0
        return json.loads(capsys.readouterr().out)

    answered = 0
    for step, now in enumerate(CLOCK):
        clock["now"] = micros(now)
        report = run(tmp_path / "cached")
        again = run(tmp_path / "cached")  # the same moment: answered from the stamp
        assert again["up_to_date"] is True
        answered += report["up_to_date"]
        run(tmp_path / f"clean-{step}", "--no-cache")
        assert tree(tmp_path / "cached") == tree(tmp_path / f"clean-{step}"), f"step {step}: {now}"
        assert _titles((tmp_path / "cached" / "robots.xml").read_bytes()) == _expected(now), f"step {step}: {now}"
    # A step forward within a stamp's validity is rightly answered from it (DUE - 1 min
    # after DUE - 1 h); the others are not.
    assert 0 < answered < len(CLOCK) - 1
