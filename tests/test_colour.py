"""Colour: errors red and warnings yellow on a terminal; never with NO_COLOR, TERM=dumb, into a
pipe or in --json, unless --color always says so. Run as a user runs it: the console script,
stderr on a real pty."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from feedpub import colour

from .conftest import FIXTURE_SITE
from .console import feedpub, on_a_terminal

SGR = re.compile(r"\x1b\[[0-9;]*m")
"""An escape code that sets a colour (the progress line's erase, ``ESC [K``, is not one)."""

RED_ERROR = "\x1b[31mfeedpub: error:\x1b[0m "
YELLOW = "\x1b[33mfeedpub: "


def _build(tmp_path: Path, *extra: str) -> list[str]:
    """``build`` of the fixture site (one broken file, no base URL: a skipped line and a warning)."""
    return ["build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path / "out"), *extra]


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "user-cache"), **more}


def _lines(screen: str) -> list[str]:
    """The lines left on the screen, each progress redraw dropped."""
    return [line.split("\r\x1b[K")[-1] for line in screen.replace("\r\n", "\n").split("\n") if line.split("\r\x1b[K")[-1]]


def test_a_terminal_sees_warnings_yellow_and_errors_red(tmp_path: Path) -> None:
    status, screen, _ = on_a_terminal(*_build(tmp_path), cwd=tmp_path, env=_env(tmp_path))
    assert status == 0, screen
    lines = _lines(screen)
    skipped = next(line for line in lines if "skipped" in line)
    assert skipped.startswith(f"{YELLOW}skipped ") and skipped.endswith("\x1b[0m")
    notice = next(line for line in lines if "no base URL" in line)
    assert notice.startswith(YELLOW) and notice.endswith("\x1b[0m")
    summary = lines[-1]
    assert summary.startswith("feedpub: 3 articles, 1 rejected") and not SGR.search(summary)  # the summary stays plain

    status, screen, _ = on_a_terminal(*_build(tmp_path, "--max-items", "0"), cwd=tmp_path, env=_env(tmp_path))
    assert status == 2
    [line] = _lines(screen)
    assert line == f"{RED_ERROR}--max-items: must be at least 1"


def test_the_up_to_date_answer_paints_its_lines_as_this_run_asks(tmp_path: Path) -> None:
    on_a_terminal(*_build(tmp_path), cwd=tmp_path, env=_env(tmp_path))
    status, screen, _ = on_a_terminal(*_build(tmp_path), cwd=tmp_path, env=_env(tmp_path))
    lines = _lines(screen)
    assert status == 0 and "(0 written, 14 unchanged)" in lines[-1], "not answered from the up-to-date stamp"
    assert lines[0].startswith(YELLOW) and "no base URL" in lines[0]
    status, screen, _ = on_a_terminal(*_build(tmp_path), cwd=tmp_path, env=_env(tmp_path, NO_COLOR="1"))
    assert status == 0 and "(0 written, 14 unchanged)" in screen and "no base URL" in screen
    assert not SGR.search(screen)


@pytest.mark.parametrize(
    ("env", "flags"),
    [({"NO_COLOR": "1"}, ()), ({"NO_COLOR": "false"}, ()), ({"TERM": "dumb"}, ()), ({}, ("--color", "never"))],
    ids=["NO_COLOR=1", "NO_COLOR=false (any value)", "TERM=dumb", "--color never"],
)
def test_no_colour_on_a_terminal_when_asked(tmp_path: Path, env: dict[str, str], flags: tuple[str, ...]) -> None:
    status, screen, _ = on_a_terminal(*_build(tmp_path, *flags), cwd=tmp_path, env=_env(tmp_path, **env))
    assert status == 0 and "skipped" in screen and "reading articles" in screen  # still a terminal: progress shown
    assert not SGR.search(screen)
    status, screen, _ = on_a_terminal(*_build(tmp_path, "--max-items", "x", *flags), cwd=tmp_path, env=_env(tmp_path, **env))
    assert status == 2 and screen.startswith("feedpub: error: argument --max-items") and not SGR.search(screen)


def test_an_empty_no_color_is_unset(tmp_path: Path) -> None:
    _, screen, _ = on_a_terminal(*_build(tmp_path), cwd=tmp_path, env=_env(tmp_path, NO_COLOR=""))
    assert YELLOW in screen


def test_color_always_wins_over_no_color(tmp_path: Path) -> None:
    _, screen, _ = on_a_terminal(*_build(tmp_path, "--color", "always"), cwd=tmp_path, env=_env(tmp_path, NO_COLOR="1"))
    assert YELLOW in screen


def test_a_pipe_gets_no_colour_unless_color_always(tmp_path: Path) -> None:
    piped = feedpub(*_build(tmp_path, "--no-cache"), cwd=tmp_path, env=_env(tmp_path))
    assert piped.returncode == 0 and "skipped" in piped.stderr and not SGR.search(piped.stderr)
    always = feedpub(*_build(tmp_path, "--no-cache", "--color", "always"), cwd=tmp_path, env=_env(tmp_path))
    assert always.returncode == 0 and YELLOW in always.stderr
    bad = feedpub("check", "--source", str(tmp_path / "none"), "--color=always", cwd=tmp_path)
    assert (bad.returncode, bad.stderr) == (2, f"{RED_ERROR}{tmp_path / 'none'}: source folder not found\n")


def test_json_never_holds_an_escape_code(tmp_path: Path) -> None:
    # A new broken file (so a skipped line), a warning, then a usage error: all painted on
    # stderr, none in the JSON on stdout.
    done = feedpub(*_build(tmp_path, "--no-cache", "--json", "--color", "always"), cwd=tmp_path, env=_env(tmp_path))
    assert done.returncode == 0 and YELLOW in done.stderr
    body = json.loads(done.stdout)
    assert body["warnings"] and body["articles"]["rejected"]
    assert "\x1b" not in done.stdout
    status, screen, out = on_a_terminal(*_build(tmp_path, "--json", "--max-items", "x"), cwd=tmp_path, env=_env(tmp_path))
    assert status == 2 and RED_ERROR in screen
    assert json.loads(out)["error"]["message"].startswith("argument --max-items") and "\x1b" not in out


def test_colour_is_chosen_by_flag_then_environment_then_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    assert colour.wanted("auto", tty, {}) and not colour.wanted("auto", pipe, {})
    assert not colour.wanted("auto", tty, {"NO_COLOR": "0"}) and colour.wanted("auto", tty, {"NO_COLOR": ""})
    assert not colour.wanted("auto", tty, {"TERM": "dumb"}) and colour.wanted("auto", tty, {"TERM": "xterm"})
    assert colour.wanted("always", pipe, {"NO_COLOR": "1", "TERM": "dumb"}) and not colour.wanted("never", tty, {})
    # Read before argparse, so a usage error is painted as asked; the last one given wins.
    assert colour.choice_in(["build", "--color", "never", "--color=always", "--bogus"]) == "always"
    assert colour.choice_in(["build", "--color"]) == "auto"
    assert colour.choice_in(["build", "--", "--color=never"]) == "auto"


def test_serve_painting_a_failed_rebuild_as_an_error() -> None:
    paint = colour.Paint(True)
    assert paint.problem("error: no articles; still serving the last build") == (
        f"{RED_ERROR}no articles; still serving the last build"
    )
    assert colour.Paint(False).problem("x") == "feedpub: x" and colour.Paint(False).error("x") == "feedpub: error: x"
