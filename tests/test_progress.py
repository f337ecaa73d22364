"""Progress: shown on a terminal, never under cron (no terminal) or with --quiet."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from feedpub.progress import Progress

from .conftest import FIXTURE_SITE
from .console import drawn_on_a_pty


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_draws_in_place_on_a_terminal_only() -> None:
    tty = Terminal()
    clock = Clock()
    p = Progress(enabled=True, stream=tty, clock=clock)
    p.update("reading articles", 1, 10)
    p.update("reading articles", 2, 10)  # within a tenth of a second: not redrawn
    p.update("reading articles", 10, 10)  # the last one always is
    p.clear()
    assert tty.getvalue() == "\r\x1b[Kreading articles 1/10 10%\r\x1b[Kreading articles 10/10 100%\r\x1b[K"
    plain = io.StringIO()
    q = Progress(enabled=True, stream=plain)
    q.update("reading articles", 1, 10)
    q.clear()
    assert plain.getvalue() == ""
    quiet = Terminal()
    Progress(enabled=False, stream=quiet).update("x", 1)
    assert quiet.getvalue() == ""


def test_time_left_shows_once_a_step_has_run_a_second() -> None:
    tty = Terminal()
    clock = Clock()
    p = Progress(enabled=True, stream=tty, clock=clock)
    p.update("uploading", 0, 40)
    clock.now += 0.5
    p.update("uploading", 5, 40)  # half a second in: too early to tell
    clock.now += 1.5
    p.update("uploading", 10, 40)  # 10 in 2 s: 30 more take 6 s
    clock.now += 0.5
    p.update("rendering feeds", 1, 400)  # a new step starts its own clock
    clock.now += 150
    p.update("rendering feeds", 101, 400)  # 101 in 150 s: 299 more take 444 s
    clock.now += 1
    p.update("reading articles", 120)  # no total known: a count only
    p.update("reading articles", 130, 120)  # more than the last run had: the estimate is dropped
    drawn = tty.getvalue().split("\r\x1b[K")[1:]
    assert drawn == [
        "uploading 0/40 0%",
        "uploading 5/40 12%",
        "uploading 10/40 25% 6 s left",
        "rendering feeds 1/400 0%",
        "rendering feeds 101/400 25% 7 min 24 s left",
        "reading articles 120",
        "reading articles 130",
    ]


def _build(tmp_path: Path, *extra: str, terminal: bool) -> str:
    """Run ``feedpub build`` as cron or a person would, with stderr on a terminal or not."""
    args = [sys.executable, "-m", "feedpub", "build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path / "out"), *extra]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    if not terminal:
        done = subprocess.run(args, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr
    status, drawn, _ = drawn_on_a_pty(args, env=env, errors="replace")
    assert status == 0
    return drawn


def test_a_terminal_sees_progress_and_cron_sees_none(tmp_path: Path) -> None:
    shown = _build(tmp_path, "--no-cache", terminal=True)
    assert "\rreading articles" in shown.replace("\x1b[K", "") and "rendering feeds" in shown
    cron = _build(tmp_path, "--no-cache", "--quiet", terminal=False)
    # Under cron only problems are said (so its mail stays empty while all is well).
    lines = cron.splitlines()
    assert len(lines) == 1 and lines[0].startswith("feedpub: skipped ") and lines[0].endswith("(or 'originalUrl')")
    unattended = _build(tmp_path, "--no-cache", terminal=False)
    assert "\r" not in unattended and "reading articles" not in unattended
    assert "skipped" in unattended  # problems are still said, one line each
    quiet = _build(tmp_path, "--no-cache", "--quiet", terminal=True)
    assert "reading articles" not in quiet


def _corpus(folder: Path, n: int) -> Path:
    """``n`` small valid article files in three topics, written here (not copied from anywhere)."""
    news = folder / "_news"
    news.mkdir(parents=True)
    for i in range(n):
        (news / f"2025-04-{i % 28 + 1:02d}-item-{i:03d}.md").write_text(
            f'---\ntitle: "Item {i}"\npublishedDateTime: 2025-04-{i % 28 + 1:02d} 08:00:00\n'
            f'webUrl: "https://news.test/item-{i}"\ntopics: [{["robots", "space", "energy"][i % 3]}]\n---\n',
            encoding="utf-8",
        )
    return folder


def _on_a_terminal(tmp_path: Path, *args: str) -> str:
    """What ``feedpub ARGS`` draws on stderr when it is a terminal (a real pty), stdout elsewhere."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    status, drawn, _ = drawn_on_a_pty([sys.executable, "-m", "feedpub", *args], env=env, errors="replace")
    assert status == 0, drawn
    return drawn


def _drawn(screen: str) -> list[str]:
    """Each state of the progress line, in order."""
    return [part.strip() for part in screen.replace("\r\n", "\n").split("\r\x1b[K") if part.strip()]


def test_totals_and_percentages_on_a_terminal_nothing_off_it(tmp_path: Path) -> None:
    site = _corpus(tmp_path / "site", 60)
    common = ["--source", str(site), "--base-url", "https://feeds.test/", "--cache-dir", str(tmp_path / "cache")]
    build = ["build", *common, "--output", str(tmp_path / "out")]
    first = _drawn(_on_a_terminal(tmp_path, *build))
    # A line at once, before the first file is read; the first run knows no total to read
    # until it has read them all.
    assert first[:2] == ["scanning article files 0", "reading articles 1"]
    assert "reading articles 60/60 100%" in first
    # 3 topics and the site feed, 3 formats each: 12 feeds, known before rendering starts.
    assert "rendering feeds 12/12 100%" in first
    assert "writing 18/18 100%" in first  # with a page per feed, the OPML file and index.html
    assert first[-1].startswith("feedpub: 60 articles")  # the summary line, once the progress line is erased

    (site / "_news" / "2025-04-01-item-000.md").write_text(
        '---\ntitle: "Item 0, edited"\npublishedDateTime: 2025-04-01 08:00:00\nwebUrl: "https://news.test/item-0"\n---\n',
        encoding="utf-8",
    )
    second = _drawn(_on_a_terminal(tmp_path, *build))
    # Now the total is the last run's count, kept in the cache folder, from the first file on.
    assert second[:2] == ["scanning article files 0", "reading articles 1/60 1%"]

    uploaded = _drawn(_on_a_terminal(tmp_path, "publish", *common, "--target", str(tmp_path / "site-copy")))
    assert "uploading 18/18 100%" in uploaded

    # Not a terminal (cron): nothing at all while all is well.
    done = subprocess.run(
        [sys.executable, "-m", "feedpub", *build], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")},
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == ""
