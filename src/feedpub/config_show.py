"""``feedpub config``: the effective configuration, and where each value came from.

Layered as a run applies them: the defaults, the config file, the environment
(:mod:`feedpub.config_env`), the flags. Generic over the keys of
:mod:`feedpub.config_template`, so a key added there shows up here untouched. Values are
shown as the file would hold them (relative paths relative to the config file's folder;
flags' paths made absolute), each with its source: ``default``, the file's path, the
variable's name, or the flag. Nothing secret is shown (:mod:`feedpub.redact`), and of
the AWS credential chain only the names of the variables set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from feedpub import config_template, redact
from feedpub.config import Config
from feedpub.config_env import EnvOverrides
from feedpub.config_template import KeyPath

FLAGS: tuple[tuple[str, str, KeyPath], ...] = (
    ("source", "--source", ("sources",)),
    ("output", "--output", ("output",)),
    ("cache_dir", "--cache-dir", ("cache_dir",)),
    ("base_url", "--base-url", ("site", "base_url")),
    ("target", "--target", ("publish", "target")),
    ("min_quality", "--min-quality", ("selection", "min_quality")),
    ("max_items", "--max-items", ("selection", "max_items")),
    ("include_unpublished", "--include-unpublished", ("selection", "include_unpublished")),
)
"""Each flag that sets a config key: its argparse name, as typed, and the key.
The selection flags apply to every topic, above its ``topics`` rules too."""


def _true_defaults() -> dict[KeyPath, Any]:
    """The defaults of the keys where the template shows the ``init`` layout instead."""
    default = Config()
    found: dict[KeyPath, Any] = {
        ("sources",): [str(s) for s in default.sources],
        ("output",): str(default.output),
        ("probe", "cache"): str(default.image_probe.cache),
    }
    assert set(found) == set(config_template.LAYOUT), "a key of LAYOUT without its default here"
    return found


def _get(raw: Any, key: KeyPath) -> tuple[bool, Any]:
    """Whether the mapping ``raw`` holds ``key``, and its value."""
    for name in key:
        if not isinstance(raw, dict) or name not in raw:
            return False, None
        raw = raw[name]
    return True, raw


def flag_values(args: Any) -> dict[KeyPath, tuple[str, Any]]:
    """The keys the flags given set: key -> (flag, value as the file would hold it)."""
    out: dict[KeyPath, tuple[str, Any]] = {}
    for dest, flag, key in FLAGS:
        value = getattr(args, dest, None)
        if value is None or value is False or value == []:
            continue
        if isinstance(value, Path):
            value = os.path.abspath(value)
        elif isinstance(value, list):
            value = [os.path.abspath(v) if isinstance(v, Path) else v for v in value]
        out[key] = (flag, value)
    return out


def effective(
    path: Path | None, raw: Any, env: EnvOverrides, flags: Mapping[KeyPath, tuple[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The effective values (nested as in the file) and each key's source (by dotted key)."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    template = config_template.values()
    layout = _true_defaults()
    for key in config_template.key_paths():
        value = layout[key] if key in layout else _get(template, key)[1]
        source = "default"
        in_file, from_file = _get(raw, key)
        if in_file:
            value, source = from_file, f"file {path}"
        if key in env.values:
            value, source = env.values[key], f"env {env.names[key]}"
        if key in flags:
            source, value = f"flag {flags[key][0]}", flags[key][1]
        node = values
        for name in key[:-1]:
            node = node.setdefault(name, {})
        node[key[-1]] = redact.value(key[-1], value)
        sources[config_template.dotted(key)] = source
    return values, sources


def credential_variables(environ: Mapping[str, str]) -> list[str]:
    """The names (never the values) of the AWS chain's variables set in ``environ``."""
    return sorted(name for name in environ if name.startswith("AWS_"))


def as_json(path: Path | None, values: dict[str, Any], sources: dict[str, str], environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``--json`` sections of ``feedpub config``."""
    return {
        "config_file": None if path is None else str(path),
        "config": values,
        "sources": sources,
        "credential_variables": credential_variables(environ),
    }


def _scalar(value: Any) -> str:
    """One value as a line of YAML holds it (flow style); JSON, which YAML reads too, where
    YAML would need more than one line."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30)
    if text.endswith("\n...\n"):
        text = text[: -len("\n...\n")]
    text = text.rstrip("\n")
    return text if "\n" not in text else json.dumps(value, ensure_ascii=False)


def as_yaml(path: Path | None, values: dict[str, Any], sources: dict[str, str], environ: Mapping[str, str]) -> str:
    """The effective configuration as a config file, each value's source in a comment."""
    folder = os.path.abspath(path.parent) if path is not None else os.getcwd()
    lines = [
        "# feedpub: the effective configuration (flags, then environment, then file, then defaults)",
        f"# config file: {path if path is not None else 'none'}; relative paths are relative to {folder}",
    ]
    aws = credential_variables(environ)
    if aws:
        lines.append(f"# credentials: the AWS chain ({', '.join(aws)} set; values never shown)")
    rows: list[tuple[str, str]] = []

    def walk(node: dict[str, Any], prefix: KeyPath) -> None:
        for name, value in node.items():
            key = (*prefix, name)
            indent = "  " * len(prefix)
            dotted = config_template.dotted(key)
            if dotted in sources:
                rows.append((f"{indent}{_scalar(name)}: {_scalar(value)}", sources[dotted]))
            else:
                rows.append((f"{indent}{_scalar(name)}:", ""))
                walk(value, key)

    walk(values, ())
    width = max(len(text) for text, source in rows if source)
    for text, source in rows:
        lines.append(f"{text.ljust(width)}  # {source}" if source else text)
    return "\n".join(lines) + "\n"
