"""The config file's every key with its default, as one commented text: ``config_template.yaml``.

That text is what ``feedpub init`` writes, what the README's "Configuration" section
shows (a test keeps them equal, and equal to the dataclass defaults in
:mod:`feedpub.config`), and the list of keys the environment can override
(:mod:`feedpub.config_env`) and ``feedpub config`` shows. A key is added by adding it
to its dataclass and to the template; nothing else lists the keys.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

KeyPath = tuple[str, ...]
"""A key of the config file as its path: ``("site", "base_url")``, ``("sources",)``."""

LAYOUT: dict[KeyPath, str] = {
    ("sources",): "no default: --source, or a config that lists them",
    ("output",): "default: output/ beside the config file",
    ("probe", "cache"): "default: .feedpub-cache/images.json beside the config file",
}
"""Keys where the template holds the folder layout ``feedpub init`` makes (``config/``
beside ``content/`` and ``output/``) rather than the default, which its comment names."""


@cache
def text() -> str:
    """The template: every key, its default and a comment, in the order the README shows them."""
    return files("feedpub").joinpath("config_template.yaml").read_text(encoding="utf-8")


def values() -> dict[str, Any]:
    """The template's values (a new copy each call: callers may change it)."""
    import yaml  # only where the template is read: not on a plain build's start-up

    from feedpub.collect.frontmatter import SafeLoader

    loaded: dict[str, Any] = yaml.load(text(), Loader=SafeLoader)
    return loaded


def key_paths() -> list[KeyPath]:
    """Every key that holds a value, in the template's order: a section's keys, not the section.

    A mapping that is empty in the template (``topics``) is one key: its own keys are
    the user's (topic names), not feedpub's.
    """
    out: list[KeyPath] = []

    def walk(node: dict[str, Any], prefix: KeyPath) -> None:
        for name, value in node.items():
            if isinstance(value, dict) and value:
                walk(value, (*prefix, name))
            else:
                out.append((*prefix, name))

    walk(values(), ())
    return out


def dotted(key: KeyPath) -> str:
    """A key as messages and the README name it: ``site.base_url``."""
    return ".".join(key)


def env_name(key: KeyPath) -> str:
    """The environment variable that overrides ``key``: ``FEEDPUB_SITE_BASE_URL``."""
    return "FEEDPUB_" + "_".join(key).upper()
