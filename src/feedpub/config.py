"""The configuration file (``config/feedpub.yaml``): loading, defaults and validation.

Every key has a documented default (README, "Configuration"). Errors name the file and
the key. Relative paths in the file are relative to the file's folder. Command-line
flags override the file; the CLI applies them with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from feedpub.errors import ConfigError
from feedpub.select import Rules
from feedpub.topics import slugify, topic_key
from feedpub.urls import http_url

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
FORMATS = ("rss", "atom", "json")


@dataclass(frozen=True)
class Site:
    """Who publishes the feeds and where they are served."""

    title: str = "feedpub"
    link: str | None = None
    base_url: str | None = None
    language: str = "en"
    description: str | None = None
    author: str | None = None
    logo: str | None = None
    topic_link: str | None = None

    def feeds_url(self) -> str:
        """The base URL feeds are served from, ending in ``/``."""
        url = self.base_url or DEFAULT_BASE_URL
        return url if url.endswith("/") else url + "/"

    def home(self) -> str:
        """The site's home page (the feeds' base URL when none is configured)."""
        return self.link or self.feeds_url()

    def topic_home(self, slug: str) -> str:
        """The page of one topic on the site, for the feed's ``<link>`` and OPML htmlUrl."""
        return self.topic_link.replace("{slug}", slug) if self.topic_link else self.home()


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the articles."""

    path: Path | None = None
    site: Site = field(default_factory=Site)
    sources: tuple[Path, ...] = ()
    pattern: str = "*.md"
    output: Path = Path("output")
    formats: tuple[str, ...] = FORMATS
    site_feed: bool = True
    site_feed_slug: str = "all"
    site_feed_title: str = "All topics"
    defaults: Rules = field(default_factory=Rules)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    hubs: tuple[str, ...] = ()
    strict: bool = False
    directory: bool = True
    publish: dict[str, Any] = field(default_factory=dict)
    probe: bool = False
    probe_cache: Path = Path(".feedpub-cache/images.json")
    probe_max_age_days: float = 7
    probe_timeout: float = 5
    probe_max_per_run: int = 200
    cache_dir: Path | None = None

    def cache_folder(self) -> Path:
        """Where the parse and render caches live: ``cache_dir``, else beside the output folder."""
        return self.cache_dir if self.cache_dir is not None else self.output.parent / ".feedpub-cache"

    def rules_for(self, key: str) -> Rules:
        """The selection rules of one topic (by key or slug), defaults where not overridden."""
        over = self.overrides.get(key) or self.overrides.get(slugify(key)) or {}
        return _rules(over, self.defaults, "topics", self.path) if over else self.defaults


def _where(path: Path | None, key: str) -> str:
    return f"{path}: {key}" if path else key


def _check(value: Any, types: type | tuple[type, ...], key: str, path: Path | None, what: str) -> Any:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise ConfigError(f"{_where(path, key)}: expected {what}, got {value!r}")
    if not isinstance(value, types):
        raise ConfigError(f"{_where(path, key)}: expected {what}, got {type(value).__name__}")
    return value


def _mapping(value: Any, key: str, path: Path | None, allowed: set[str]) -> dict[str, Any]:
    if value is None:
        return {}
    _check(value, dict, key, path, "a mapping")
    for k in value:
        if k not in allowed:
            known = ", ".join(sorted(allowed))
            raise ConfigError(f"{_where(path, f'{key}.{k}' if key else k)}: unknown key (known: {known})")
    return value


_RULE_KEYS = {"min_quality", "max_items", "max_age_days", "include_unpublished"}


def _rules(raw: dict[str, Any], base: Rules, key: str, path: Path | None) -> Rules:
    _mapping(raw, key, path, _RULE_KEYS)
    rules = base
    if "min_quality" in raw:
        q = _check(raw["min_quality"], (int, float), f"{key}.min_quality", path, "a number")
        rules = Rules(q, rules.max_items, rules.max_age, rules.include_unpublished)
    if "max_items" in raw:
        n = _check(raw["max_items"], int, f"{key}.max_items", path, "a whole number")
        if n < 1:
            raise ConfigError(f"{_where(path, key + '.max_items')}: must be at least 1")
        rules = Rules(rules.min_quality, n, rules.max_age, rules.include_unpublished)
    if "max_age_days" in raw:
        days = raw["max_age_days"]
        age = None
        if days is not None:
            days = _check(days, (int, float), f"{key}.max_age_days", path, "a number of days")
            if days <= 0:
                raise ConfigError(f"{_where(path, key + '.max_age_days')}: must be more than 0")
            age = timedelta(days=days)
        rules = Rules(rules.min_quality, rules.max_items, age, rules.include_unpublished)
    if "include_unpublished" in raw:
        inc = _check(raw["include_unpublished"], bool, f"{key}.include_unpublished", path, "true or false")
        rules = Rules(rules.min_quality, rules.max_items, rules.max_age, inc)
    return rules


def _url(value: Any, key: str, path: Path | None) -> str | None:
    if value is None:
        return None
    _check(value, str, key, path, "a URL")
    url = http_url(value)
    if url is None:
        raise ConfigError(f"{_where(path, key)}: not an absolute http(s) URL: {value!r}")
    return url


def check_base_url(value: str, where: str = "--base-url") -> str:
    """Validate a base URL given on the command line."""
    url = _url(value, where, None)
    assert url is not None
    return url


_TOP = {
    "site", "sources", "pattern", "output", "formats", "site_feed", "selection", "topics", "websub", "publish",
    "directory", "probe", "cache_dir",
}
_PUBLISH = {
    "target", "endpoint_url", "region", "addressing_style", "profile", "cache_control",
    "delete_stale", "max_deletes", "workers", "lock_wait",
}
_PUBLISH_TYPES: dict[str, tuple[type, ...]] = {
    "target": (str,), "endpoint_url": (str,), "region": (str,), "addressing_style": (str,), "profile": (str,),
    "cache_control": (str,), "delete_stale": (bool,), "max_deletes": (int,), "workers": (int,), "lock_wait": (int, float),
}
_PROBE = {"enabled", "cache", "max_age_days", "timeout", "max_per_run"}
_SITE = {"title", "link", "base_url", "language", "description", "author", "logo", "topic_link"}


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; ``None`` gives the built-in defaults."""
    if path is None:
        return Config()
    import yaml  # only when there is a config file: a run without one starts faster

    from feedpub.collect.frontmatter import SafeLoader

    try:
        raw = yaml.load(path.read_bytes(), Loader=SafeLoader)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    raw = _mapping(raw, "", path, _TOP)
    here = path.parent
    site_raw = _mapping(raw.get("site"), "site", path, _SITE)
    text = {}
    for k in ("title", "language", "description", "author"):
        if site_raw.get(k) is not None:
            text[k] = _check(site_raw[k], str, f"site.{k}", path, "text")
    topic_link = site_raw.get("topic_link")
    if topic_link is not None:
        _url(str(topic_link).replace("{slug}", "x"), "site.topic_link", path)
    site = Site(
        **text,
        link=_url(site_raw.get("link"), "site.link", path),
        base_url=_url(site_raw.get("base_url"), "site.base_url", path),
        logo=_url(site_raw.get("logo"), "site.logo", path),
        topic_link=topic_link,
    )
    sources = raw.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    _check(sources, list, "sources", path, "a list of folders")
    for i, s in enumerate(sources):
        _check(s, str, f"sources[{i}]", path, "a folder path")
    formats = raw.get("formats", list(FORMATS))
    _check(formats, list, "formats", path, "a list")
    for f in formats:
        if f not in FORMATS:
            raise ConfigError(f"{_where(path, 'formats')}: unknown format {f!r} (known: {', '.join(FORMATS)})")
    site_feed = _mapping(raw.get("site_feed"), "site_feed", path, {"enabled", "slug", "title"})
    slug = site_feed.get("slug", "all")
    if slugify(str(slug)) != slug:
        raise ConfigError(f"{_where(path, 'site_feed.slug')}: {slug!r} is not a slug (try {slugify(str(slug))!r})")
    overrides: dict[str, dict[str, Any]] = {}
    defaults = _rules(raw.get("selection") or {}, Rules(), "selection", path)
    for name, over in _mapping(raw.get("topics"), "topics", path, set(raw.get("topics") or {})).items():
        _rules(over or {}, defaults, f"topics.{name}", path)  # validate now, name the key
        overrides[topic_key(str(name))] = over or {}
    websub = _mapping(raw.get("websub"), "websub", path, {"hubs"})
    hubs = websub.get("hubs") or []
    _check(hubs, list, "websub.hubs", path, "a list of URLs")
    output = raw.get("output", "output")
    _check(output, str, "output", path, "a folder path")
    cache_dir = raw.get("cache_dir")
    if cache_dir is not None:
        _check(cache_dir, str, "cache_dir", path, "a folder path")
    pattern = raw.get("pattern", "*.md")
    _check(pattern, str, "pattern", path, "a file name pattern")
    publish = dict(_mapping(raw.get("publish"), "publish", path, _PUBLISH))
    for k, v in publish.items():
        _check(v, _PUBLISH_TYPES[k], f"publish.{k}", path, "a " + _PUBLISH_TYPES[k][0].__name__)
    # Credentials never belong in this file: boto3 reads them from the environment,
    # profiles or instance roles (keys such as 'secret_access_key' are unknown keys here).
    if "target" in publish and not publish["target"].startswith("s3://"):
        publish["target"] = os.path.normpath(here / publish["target"])
    probe = _mapping(raw.get("probe"), "probe", path, _PROBE)
    probe_cache = probe.get("cache", ".feedpub-cache/images.json")
    _check(probe_cache, str, "probe.cache", path, "a file path")
    numbers = {}
    for k, kind in (("max_age_days", (int, float)), ("timeout", (int, float)), ("max_per_run", int)):
        if k in probe:
            numbers[f"probe_{k}"] = _check(probe[k], kind, f"probe.{k}", path, "a number")
            if numbers[f"probe_{k}"] < 0:
                raise ConfigError(f"{_where(path, 'probe.' + k)}: must not be negative")
    return Config(
        **numbers,
        probe=_check(probe.get("enabled", False), bool, "probe.enabled", path, "true or false"),
        probe_cache=Path(os.path.normpath(here / probe_cache)),
        directory=_check(raw.get("directory", True), bool, "directory", path, "true or false"),
        publish=publish,
        path=path,
        site=site,
        sources=tuple(Path(os.path.normpath(here / s)) for s in sources),
        pattern=pattern,
        output=Path(os.path.normpath(here / output)),
        formats=tuple(formats),
        site_feed=_check(site_feed.get("enabled", True), bool, "site_feed.enabled", path, "true or false"),
        site_feed_slug=slug,
        site_feed_title=_check(site_feed.get("title", "All topics"), str, "site_feed.title", path, "text"),
        defaults=defaults,
        overrides=overrides,
        hubs=tuple(_url(h, f"websub.hubs[{i}]", path) or "" for i, h in enumerate(hubs)),
        cache_dir=here / cache_dir if cache_dir is not None else None,
    )
