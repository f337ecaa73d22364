"""``FEEDPUB_<SECTION>_<KEY>`` environment variables: an override for every config key.

Containers and CI systems configure tools through the environment. Each key of
:mod:`feedpub.config_template` has one variable (``site.base_url`` ->
``FEEDPUB_SITE_BASE_URL``, ``sources`` -> ``FEEDPUB_SOURCES``); its value is read as a
YAML value under the config file's rules (``8``, ``true``, ``null``, ``[rss, atom]``) and
then replaces that key of the file, so it passes the very check the file's value would
(relative paths too are relative to the config file's folder). Precedence: flags, then
the environment, then the file, then the defaults.

A ``FEEDPUB_`` variable that names no key is a typo until shown otherwise: the CLI warns
in one line naming it (never its value) and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from feedpub import config_template
from feedpub.config_template import KeyPath
from feedpub.errors import ConfigError

PREFIX = "FEEDPUB_"

NOT_CONFIG = frozenset({"FEEDPUB_UPDATE_GOLDEN", "FEEDPUB_HYPOTHESIS_EXAMPLES", "FEEDPUB_SKIP_LINT"})
"""``FEEDPUB_`` variables that are not config keys: the switches of feedpub's own test suite."""


@dataclass(frozen=True)
class EnvOverrides:
    """The config keys the environment sets, and the variables it has that name no key."""

    values: dict[KeyPath, Any] = field(default_factory=dict)
    names: dict[KeyPath, str] = field(default_factory=dict)
    """Each key set -> the variable that set it."""
    unknown: tuple[str, ...] = ()

    def apply(self, raw: Any) -> Any:
        """The config file's values (``raw``, None without a file) with these keys replaced.

        A section that is not a mapping in the file is left as it is: its own error
        (naming the file and the key) is the one to report.
        """
        if not self.values:
            return raw
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            return raw
        merged = dict(raw)
        for key, value in self.values.items():
            node = merged
            for name in key[:-1]:
                inner = node.get(name)
                if inner is None:
                    inner = {}
                elif not isinstance(inner, dict):
                    break
                node[name] = inner = dict(inner)
                node = inner
            else:
                node[key[-1]] = value
        return merged

    def blame(self, message: str) -> str | None:
        """A check's message (``site.base_url: ...``) about a key set here, naming the variable
        instead (``FEEDPUB_SITE_BASE_URL: ...``); None when the key is not one of these."""
        for key, name in self.names.items():
            dotted = config_template.dotted(key)
            if message.startswith(dotted) and message[len(dotted) : len(dotted) + 1] in (":", "[", "."):
                return name + message[len(dotted) :]
        return None


def variables() -> dict[str, KeyPath]:
    """Every variable that overrides a key, and its key."""
    return {config_template.env_name(key): key for key in config_template.key_paths()}


def read(environ: Mapping[str, str]) -> EnvOverrides:
    """The overrides in ``environ``; ConfigError of one line naming a variable whose value is not YAML."""
    mine = sorted(name for name in environ if name.startswith(PREFIX) and name not in NOT_CONFIG)
    if not mine:
        return EnvOverrides()
    known = variables()
    values: dict[KeyPath, Any] = {}
    names: dict[KeyPath, str] = {}
    for name in mine:
        key = known.get(name)
        if key is not None:
            values[key], names[key] = _parse(name, environ[name]), name
    return EnvOverrides(values, names, tuple(name for name in mine if name not in known))


def _parse(name: str, text: str) -> Any:
    """One variable's value as a YAML value, under the config file's YAML rules."""
    import yaml

    from feedpub.collect.frontmatter import SafeLoader, check_events
    from feedpub.errors import ArticleError
    from feedpub.text import printable

    try:
        check_events(text)
        return yaml.load(text, Loader=SafeLoader)
    except ArticleError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{name}: not a valid YAML value: {printable(str(problem))}") from None
    except (ValueError, TypeError, AttributeError, LookupError, OverflowError) as exc:
        # As for the file (config_file.load_yaml): a date-like or tagged scalar PyYAML cannot build.
        reason = printable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)[:120]
        raise ConfigError(f"{name}: not a valid YAML value ({reason})") from None


def unknown_warning(name: str) -> str:
    """The one line for a ``FEEDPUB_`` variable that names no key, with the closest that does."""
    import difflib

    # 0.75: a typo or a missing section (FEEDPUB_TARGET) finds its key; an unrelated name
    # (FEEDPUB_PUBLISH_SECRET_ACCESS_KEY) gets no hint rather than a wrong one.
    close = difflib.get_close_matches(name, list(variables()), n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{name}: no such config key; ignored{hint}"
