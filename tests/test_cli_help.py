"""``--help`` that teaches: every command's description, examples that parse, exit statuses, environment."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from feedpub import __version__, cli_help
from feedpub.cli import COMMANDS, make_parser

from .console import feedpub


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in make_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_command_has_its_help_and_every_help_a_command() -> None:
    assert set(_subparsers()) == set(COMMANDS) == set(cli_help.COMMANDS)


@pytest.mark.parametrize("command", sorted(cli_help.COMMANDS))
def test_command_help_has_description_examples_statuses_environment(tmp_path: Path, command: str) -> None:
    done = feedpub(command, "--help", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    text = done.stdout
    assert text.startswith(f"usage: feedpub {command} ")
    assert cli_help.COMMANDS[command].description in text  # as written: the raw formatter keeps its lines
    sections = {}
    for name in ("examples:", "exit status:", "environment:"):
        assert f"\n{name}\n" in text, name
        sections[name] = text.split(f"\n{name}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert 2 <= len(sections["examples:"]) <= 3
    assert all("feedpub " in line for line in sections["examples:"])
    statuses = [line.split()[0] for line in sections["exit status:"] if line[:6].strip().isdigit()]
    assert "0" in statuses and "2" in statuses
    assert sections["environment:"]


def _example_commands() -> list[tuple[str, list[str]]]:
    """Every ``feedpub ...`` command in every example, as argument lists (variables, pipes,
    redirections, comments and ``cd`` steps left out)."""
    found = []
    texts = [e for h in cli_help.COMMANDS.values() for e in h.examples]
    texts += [line.strip() for line in cli_help.MAIN_EPILOG.split("exit status:")[0].splitlines()[1:] if line.strip()]
    for text in texts:
        for part in text.split("#")[0].split("&&"):
            words = shlex.split(part.split(">")[0].split("|")[0])
            while words and "=" in words[0]:
                words.pop(0)  # VARIABLE=value
            if words and words[0] == "feedpub" and "COMMAND" not in words:
                found.append((text, words[1:]))
    return found


@pytest.mark.parametrize(("text", "args"), _example_commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_example_is_a_command_line_feedpub_takes(text: str, args: list[str]) -> None:
    make_parser().parse_args(args)  # a usage error raises ConfigError


def test_main_help_lists_every_command_on_one_line(tmp_path: Path) -> None:
    done = feedpub("--help", cwd=tmp_path, env={"COLUMNS": "80"})
    assert done.returncode == 0
    for name, text in cli_help.COMMANDS.items():
        line = next(x for x in done.stdout.splitlines() if x.strip().startswith(f"{name} "))
        assert line.split(None, 1) == [name, text.line], "the command's line is wrapped or differs"
    assert "\nexit status:\n" in done.stdout and "FEEDPUB_<SECTION>_<KEY>" in done.stdout


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_flags(tmp_path: Path, flag: str) -> None:
    done = feedpub(flag, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"feedpub {__version__}\n", "")


@pytest.mark.parametrize(
    ("command", "flag"),
    [("init", "--config"), ("init", "--json"), ("config", "--quiet"), ("config", "--strict"), ("check", "--base-url"),
     ("check", "--min-quality"), ("topics", "--output"), ("serve", "--target"), ("build", "--target"),
     ("publish", "--output"), ("init", "--source"), ("build", "--no-cache --cache-dir")],
)  # fmt: skip
def test_flags_that_mean_nothing_for_a_command_are_refused(tmp_path: Path, command: str, flag: str) -> None:
    done = feedpub(command, *flag.split(), "x", cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert f"unrecognized arguments: {flag}" in line or "not allowed with argument --no-cache" in line
