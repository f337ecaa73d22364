"""The configuration file (``config/feedpub.yaml``): loading, defaults and validation.

Every key has a documented default (README, "Configuration"), held once: in the
dataclasses below, which the loader and every step read. Errors name the file and the
key. Relative paths in the file are relative to the file's folder. Command-line flags
override the file; the CLI applies them with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
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


TARGET_SCHEMES = ("s3",)
"""URL schemes a publish target may have; anything else with no scheme is a folder."""
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def target_scheme(target: str) -> str | None:
    """The ``word`` of a ``word://...`` target, or None for a folder path."""
    found = _SCHEME.match(target)
    return found.group(1) if found else None


def check_target(target: str, where: str) -> str:
    """``target`` itself if it is a folder path or has a supported scheme; else ConfigError naming the scheme."""
    scheme = target_scheme(target)
    if scheme is not None and scheme not in TARGET_SCHEMES:
        supported = ", ".join(f"{s}://" for s in TARGET_SCHEMES)
        raise ConfigError(f"{where}: unsupported target scheme {scheme}:// (supported: {supported} or a folder path)")
    return target


def _setting(default: Any, types: type | tuple[type, ...], what: str) -> Any:
    """A settings field: its default, and the types (and their name in messages) its key takes."""
    return field(default=default, metadata={"types": types, "what": what})


def _check_settings(settings: Any, section: str) -> None:
    """Every field of a settings dataclass has a type its key takes (None only where that is the default)."""
    for f in fields(settings):
        value = getattr(settings, f.name)
        if value is not None or f.default is not None:
            _check(value, f.metadata["types"], f"{section}.{f.name}", None, f.metadata["what"])


@dataclass(frozen=True)
class PublishSettings:
    """The ``publish`` section: how ``feedpub publish`` writes, every key with its default.

    Checked when made, so a target never sees a value the config file could not hold;
    :class:`~feedpub.publish.s3.S3Target` has no defaults of its own.
    """

    target: str | None = _setting(None, str, "a folder or s3://BUCKET/PREFIX/")
    """Where to publish; None: the output folder. A folder is absolute once loaded."""
    endpoint_url: str | None = _setting(None, str, "a URL")
    region: str | None = _setting(None, str, "a region name")
    addressing_style: str | None = _setting(None, str, "auto, path or virtual")
    profile: str | None = _setting(None, str, "an AWS profile name")
    cache_control: str = _setting("max-age=300", str, "a Cache-Control header value")
    delete_stale: bool = _setting(False, bool, "true or false")
    max_deletes: int = _setting(16, int, "a whole number")
    workers: int = _setting(8, int, "a whole number")
    lock_wait: float = _setting(0, (int, float), "a number of seconds")
    deadline: float = _setting(600, (int, float), "a number of seconds")
    """The longest one publish may take, start to end; past it the run stops waiting and exits 3."""

    def __post_init__(self) -> None:
        _check_settings(self, "publish")
        if self.target is not None:
            check_target(self.target, "publish.target")
        if not 0 < self.deadline < float("inf"):
            raise ConfigError(f"publish.deadline: {self.deadline!r}: must be a number of seconds above 0")
        if self.addressing_style not in (None, "auto", "path", "virtual"):
            raise ConfigError(f"publish.addressing_style: {self.addressing_style!r}: use auto, path or virtual")
        if not self.cache_control or "\n" in self.cache_control or "\r" in self.cache_control:
            raise ConfigError(f"publish.cache_control: {self.cache_control!r}: must be one non-empty header value")
        if self.workers < 1:
            raise ConfigError("publish.workers: must be at least 1")
        for key in ("max_deletes", "lock_wait"):
            if getattr(self, key) < 0:
                raise ConfigError(f"publish.{key}: must not be negative")


@dataclass(frozen=True)
class ProbeSettings:
    """The ``probe`` section: enclosure image probing, every key with its default."""

    enabled: bool = _setting(False, bool, "true or false")
    cache: Path = _setting(Path(".feedpub-cache/images.json"), Path, "a file path")  # noqa: RUF009 - a field()
    """The probe cache file; relative to the config file's folder when loaded from one."""
    max_age_days: float = _setting(7, (int, float), "a number of days")
    timeout: float = _setting(5, (int, float), "a number of seconds")
    max_per_run: int = _setting(200, int, "a whole number")

    def __post_init__(self) -> None:
        _check_settings(self, "probe")
        for key in ("max_age_days", "timeout", "max_per_run"):
            if getattr(self, key) < 0:
                raise ConfigError(f"probe.{key}: must not be negative")


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
    publish: PublishSettings = field(default_factory=PublishSettings)
    image_probe: ProbeSettings = field(default_factory=ProbeSettings)
    """The ``probe`` section; ``image_probe.enabled`` is the on/off switch."""
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
    "site",
    "sources",
    "pattern",
    "output",
    "formats",
    "site_feed",
    "selection",
    "topics",
    "websub",
    "publish",
    "directory",
    "probe",
    "cache_dir",
}


def _keys(cls: type) -> set[str]:
    """The config keys of a section: the fields of its dataclass."""
    return {f.name for f in fields(cls)}


def _settings(cls: type, values: dict[str, Any], path: Path) -> Any:
    """A settings dataclass made from a section, its errors prefixed with the file."""
    try:
        return cls(**values)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


_DEFAULT = Config()


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
    site_raw = _mapping(raw.get("site"), "site", path, _keys(Site))
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
    formats = raw.get("formats", list(_DEFAULT.formats))
    _check(formats, list, "formats", path, "a list")
    for f in formats:
        if f not in FORMATS:
            raise ConfigError(f"{_where(path, 'formats')}: unknown format {f!r} (known: {', '.join(FORMATS)})")
    site_feed = _mapping(raw.get("site_feed"), "site_feed", path, {"enabled", "slug", "title"})
    slug = site_feed.get("slug", _DEFAULT.site_feed_slug)
    if slugify(str(slug)) != slug:
        raise ConfigError(f"{_where(path, 'site_feed.slug')}: {slug!r} is not a slug (try {slugify(str(slug))!r})")
    overrides: dict[str, dict[str, Any]] = {}
    defaults = _rules(raw.get("selection") or {}, _DEFAULT.defaults, "selection", path)
    for name, over in _mapping(raw.get("topics"), "topics", path, set(raw.get("topics") or {})).items():
        _rules(over or {}, defaults, f"topics.{name}", path)  # validate now, name the key
        overrides[topic_key(str(name))] = over or {}
    websub = _mapping(raw.get("websub"), "websub", path, {"hubs"})
    hubs = websub.get("hubs") or []
    _check(hubs, list, "websub.hubs", path, "a list of URLs")
    output = raw.get("output", str(_DEFAULT.output))
    _check(output, str, "output", path, "a folder path")
    cache_dir = raw.get("cache_dir")
    if cache_dir is not None:
        _check(cache_dir, str, "cache_dir", path, "a folder path")
    pattern = raw.get("pattern", _DEFAULT.pattern)
    _check(pattern, str, "pattern", path, "a file name pattern")
    # Credentials never belong in this file: boto3 reads them from the environment,
    # profiles or instance roles (keys such as 'secret_access_key' are unknown keys here).
    publish = dict(_mapping(raw.get("publish"), "publish", path, _keys(PublishSettings)))
    target = publish.get("target")
    if isinstance(target, str) and target_scheme(target) is None:
        publish["target"] = os.path.normpath(here / target)
    probe = dict(_mapping(raw.get("probe"), "probe", path, _keys(ProbeSettings)))
    cache = probe.get("cache", _DEFAULT.image_probe.cache)
    if isinstance(cache, (str, Path)):
        probe["cache"] = Path(os.path.normpath(here / cache))  # the default too: beside the config file
    return Config(
        image_probe=_settings(ProbeSettings, probe, path),
        directory=_check(raw.get("directory", _DEFAULT.directory), bool, "directory", path, "true or false"),
        publish=_settings(PublishSettings, publish, path),
        path=path,
        site=site,
        sources=tuple(Path(os.path.normpath(here / s)) for s in sources),
        pattern=pattern,
        output=Path(os.path.normpath(here / output)),
        formats=tuple(formats),
        site_feed=_check(site_feed.get("enabled", _DEFAULT.site_feed), bool, "site_feed.enabled", path, "true or false"),
        site_feed_slug=slug,
        site_feed_title=_check(site_feed.get("title", _DEFAULT.site_feed_title), str, "site_feed.title", path, "text"),
        defaults=defaults,
        overrides=overrides,
        hubs=tuple(_url(h, f"websub.hubs[{i}]", path) or "" for i, h in enumerate(hubs)),
        cache_dir=here / cache_dir if cache_dir is not None else None,
    )
