"""The configuration: its keys, their defaults, and loading and checking a config file.

Every key has a documented default (README, "Configuration"), held once: in the
dataclasses below, which the loader and every step read. Every value is checked when
the file loads (:mod:`feedpub.config_values`), and a ConfigError of one line names the
file and the key; the ``topics`` overrides are checked again once the articles are
collected (:func:`check_overrides`). Which file applies and how it is read is
:mod:`feedpub.config_file`. Relative paths in the file are relative to the file's
folder. ``FEEDPUB_<SECTION>_<KEY>`` variables (:mod:`feedpub.config_env`) replace keys of
the file before it is checked; command-line flags override both, applied by the CLI with
:func:`dataclasses.replace`. Every key and its default is also in the template
(:mod:`feedpub.config_template`), which tests hold equal to these dataclasses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from feedpub import config_values as v
from feedpub.config_env import EnvOverrides
from feedpub.config_file import load_yaml
from feedpub.errors import ConfigError
from feedpub.select import Rules
from feedpub.text import printable
from feedpub.topics import TopicIndex, slugify, topic_key

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
    favicon: str | None = None
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


MAX_ITEMS = 100_000
"""Most items one feed may hold (``max_items``): beyond that no reader copes anyway."""
MAX_AGE_DAYS = 100_000
"""Longest ``max_age_days`` (about 270 years, more than the whole date window)."""
MAX_WORKERS = 64
"""Most concurrent uploads (``publish.workers``): each is a thread and a pooled connection."""
MAX_WAIT = 3600
"""Longest ``publish.lock_wait`` in seconds: a cron run must end, not queue for hours."""
MAX_PROBE_TIMEOUT = 120
"""Longest ``probe.timeout`` in seconds."""

MAX_DEADLINE = 86_400
"""Longest ``publish.deadline`` in seconds (a day): a cron run must end."""


def _setting(default: Any, check: v.Check) -> Any:
    """A settings field: its default, and the check its key passes (see :mod:`feedpub.config_values`)."""
    return field(default=default, metadata={"check": check})


def _check_settings(settings: Any, section: str) -> None:
    """Every field of a settings dataclass passes its check (None only where that is the default)."""
    for f in fields(settings):
        value = getattr(settings, f.name)
        if value is not None or f.default is not None:
            f.metadata["check"](value, f"{section}.{f.name}")


def _check_of(cls: type, name: str) -> v.Check:
    """The check of one field of a settings dataclass."""
    return next(f.metadata["check"] for f in fields(cls) if f.name == name)


def _file(value: Any, key: str) -> Any:
    """A file path, given as text or (once loaded) as a Path."""
    return v.file_path(str(value) if isinstance(value, Path) and str(value) else value, key)


MAX_PURGE_TIMEOUT = 60
"""Longest ``publish.purge.timeout`` in seconds: purges come after the publish, which must end."""


@dataclass(frozen=True)
class PurgeSettings:
    """The ``publish.purge`` section: one HTTP request per changed object after a publish (a CDN purge)."""

    url: str = field(metadata={"check": v.url_template})
    """Where each purge goes: ``{key}`` is the object's key (prefix included), ``{name}`` its name."""
    method: str = _setting("PURGE", v.http_method)
    timeout: float = _setting(10, v.number(0, MAX_PURGE_TIMEOUT, "a number of seconds", above=True))
    """Seconds one purge request may take, in total."""
    workers: int = _setting(8, v.whole(1, MAX_WORKERS))
    """Purge requests in flight at once."""

    def __post_init__(self) -> None:
        _check_settings(self, "publish.purge")


def _purge(value: Any, key: str) -> PurgeSettings:
    """The ``publish.purge`` mapping (``url`` required), or settings already made."""
    if isinstance(value, PurgeSettings):
        return value
    raw = v.mapping(value, key, _keys(PurgeSettings))
    if "url" not in raw:
        raise ConfigError(f"{key}.url: required (such as http://cache:6081/{{key}})")
    return PurgeSettings(**raw)


@dataclass(frozen=True, slots=True)
class PublishRule:
    """One entry of ``publish.rules``: the objects it matches and the headers (and gzip) they get.

    A key left out (None) keeps the default for that header: the file kind's Content-Type,
    ``publish.cache_control``, no gzip. The first rule whose ``match`` fits a name wins.
    """

    match: str
    cache_control: str | None = None
    content_type: str | None = None
    gzip: bool | None = None


_RULE: dict[str, v.Check] = {
    "match": v.glob,
    "cache_control": v.header_value,
    "content_type": v.media_type_value,
    "gzip": v.flag,
}


def _publish_rules(value: Any, key: str) -> tuple[PublishRule, ...]:
    """``publish.rules``: a list of ``{match, cache_control, content_type, gzip}``, each checked."""
    if isinstance(value, tuple) and all(isinstance(r, PublishRule) for r in value):
        raw: list[Any] = [{f.name: getattr(r, f.name) for f in fields(r) if getattr(r, f.name) is not None} for r in value]
    elif value is None:
        raw = []
    else:
        raw = v.of_type(value, list, key, "a list of rules ({match: GLOB, cache_control, content_type, gzip})")
    rules: list[PublishRule] = []
    for i, entry in enumerate(raw):
        where = f"{key}[{i}]"
        entry = v.mapping(entry, where, set(_RULE))
        if not entry:
            raise ConfigError(f"{where}: expected a mapping with at least 'match', got {v.shown(entry)}")
        if entry.get("match") is None:
            raise ConfigError(f"{where}.match: missing: each rule names the objects it applies to (such as '*.xml')")
        checked: dict[str, Any] = {k: None if val is None else _RULE[k](val, f"{where}.{k}") for k, val in entry.items()}
        first = next((j for j, r in enumerate(rules) if r.match == checked["match"]), None)
        if first is not None:
            raise ConfigError(
                f"{where}.match: {v.shown(checked['match'])} is already {key}[{first}]'s: the first match wins, "
                "so this rule would never apply"
            )
        rules.append(PublishRule(**checked))
    return tuple(rules)


@dataclass(frozen=True)
class PublishSettings:
    """The ``publish`` section: how ``feedpub publish`` writes, every key with its default.

    Checked when made, so a target never sees a value the config file could not hold;
    :class:`~feedpub.publish.s3.S3Target` has no defaults of its own.
    """

    target: str | None = _setting(None, v.text("a folder or s3://BUCKET/PREFIX/", limit=v.MAX_PATH))
    """Where to publish; None: the output folder. A folder is absolute once loaded."""
    endpoint_url: str | None = _setting(None, v.url_as_given)
    region: str | None = _setting(None, v.region)
    addressing_style: Literal["auto", "path", "virtual"] | None = _setting(None, v.choice("auto", "path", "virtual"))
    profile: str | None = _setting(None, v.text("an AWS profile name"))
    cache_control: str = _setting("max-age=300", v.header_value)
    delete_stale: bool = _setting(False, v.flag)
    max_deletes: int = _setting(16, v.whole(0))
    workers: int = _setting(8, v.whole(1, MAX_WORKERS))
    lock_wait: float = _setting(0, v.number(0, MAX_WAIT, "a number of seconds"))
    deadline: float = _setting(600, v.number(0, MAX_DEADLINE, "a number of seconds", above=True))
    """The longest one publish may take, start to end; past it the run stops waiting and exits 3."""
    rules: tuple[PublishRule, ...] = _setting((), _publish_rules)
    """Per-object headers and gzip (first match wins); a list of mappings is accepted and checked."""
    purge: PurgeSettings | None = _setting(None, _purge)  # noqa: RUF009 - a field()
    """CDN purges after a successful publish; None: none."""

    def __post_init__(self) -> None:
        # The loader passes the file's list of mappings: keep them as checked records.
        object.__setattr__(self, "rules", _publish_rules(self.rules, "publish.rules"))
        _check_settings(self, "publish")
        if self.target is not None:
            v.check_target(self.target, "publish.target")


@dataclass(frozen=True)
class ProbeSettings:
    """The ``probe`` section: enclosure image probing, every key with its default."""

    enabled: bool = _setting(False, v.flag)
    cache: Path = _setting(Path(".feedpub-cache/images.json"), _file)  # noqa: RUF009 - a field()
    """The probe cache file; relative to the config file's folder when loaded from one."""
    max_age_days: float = _setting(7, v.number(0, MAX_AGE_DAYS, "a number of days"))
    timeout: float = _setting(5, v.number(0, MAX_PROBE_TIMEOUT, "a number of seconds", above=True))
    max_per_run: int = _setting(200, v.whole(0, MAX_ITEMS))

    def __post_init__(self) -> None:
        _check_settings(self, "probe")


MAX_PAGE = 10_000
"""Most articles one archive document may hold (``archive.page_size``)."""
MAX_DIGEST_DAYS = 3660
"""Longest top-stories window (``digest.days``): ten years."""
MAX_DIGEST_ITEMS = 1000
"""Most items a top-stories feed may hold (``digest.items``)."""


@dataclass(frozen=True)
class ArchiveSettings:
    """The ``archive`` section: RFC 5005 archived feeds of every topic, every key with its default.

    Documents hold ``page_size`` articles each, counted from the oldest one, so a full
    document never changes (README, "Feeds").
    """

    enabled: bool = _setting(False, v.flag)
    page_size: int = _setting(100, v.whole(1, MAX_PAGE))

    def __post_init__(self) -> None:
        _check_settings(self, "archive")


@dataclass(frozen=True)
class DigestSettings:
    """The ``digest`` section (and a topic's ``digest`` override): a top-stories feed per topic.

    The ``items`` best articles (by quality, then date, then URL) of the last ``days``.
    """

    enabled: bool = _setting(False, v.flag)
    days: float = _setting(7, v.number(0, MAX_DIGEST_DAYS, "a number of days", above=True))
    items: int = _setting(10, v.whole(1, MAX_DIGEST_ITEMS))

    def __post_init__(self) -> None:
        _check_settings(self, "digest")


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
    """The ``topics`` overrides by topic key (:func:`~feedpub.topics.topic_key` of the name written)."""
    override_names: dict[str, str] = field(default_factory=dict)
    """Each override's topic key -> its name as written in the file, for messages."""
    overrides_from: str | None = None
    """The variable that set the ``topics`` overrides (``FEEDPUB_TOPICS``), for messages; None: the file."""
    hubs: tuple[str, ...] = ()
    strict: bool = False
    directory: bool = True
    publish: PublishSettings = field(default_factory=PublishSettings)
    image_probe: ProbeSettings = field(default_factory=ProbeSettings)
    """The ``probe`` section; ``image_probe.enabled`` is the on/off switch."""
    cache_dir: Path | None = None
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    """The default of every feed's top-stories feed; ``digests`` holds the topics' own."""
    digests: dict[str, DigestSettings] = field(default_factory=dict)
    """Each ``topics`` override's ``digest``, by topic key, complete (the defaults filled in)."""

    def digest_for(self, key: str) -> DigestSettings | None:
        """The top-stories settings of one feed (by topic key or slug), None when it has none."""
        found = self.digests.get(key) or self.digests.get(slugify(key)) or self.digest
        return found if found.enabled else None

    def extras(self) -> bool:
        """Whether any feed gets archive documents or a top-stories feed (each needs more than a feed's best items)."""
        return self.archive.enabled or self.digest.enabled or any(d.enabled for d in self.digests.values())

    def cache_folder(self) -> Path:
        """Where the parse and render caches live: ``cache_dir``, else beside the output folder."""
        return self.cache_dir if self.cache_dir is not None else self.output.parent / ".feedpub-cache"

    def rules_for(self, key: str) -> Rules:
        """The selection rules of one topic (by key or slug), defaults where not overridden."""
        over = self.overrides.get(key) or self.overrides.get(slugify(key)) or {}
        over = {k: x for k, x in over.items() if k != "digest"}  # the top-stories feed's, not selection rules
        return _rules(over, self.defaults, "topics") if over else self.defaults


_RULES: dict[str, v.Check] = {
    "min_quality": v.number(what="a number"),
    "max_items": v.whole(1, MAX_ITEMS),
    "max_age_days": v.number(0, MAX_AGE_DAYS, "a number of days", above=True),
    "include_unpublished": v.flag,
}


def _rules(raw: Any, base: Rules, key: str) -> Rules:
    """``base`` with the rules of a ``selection`` or ``topics`` entry applied, each checked."""
    changes: dict[str, Any] = {}
    for k, value in v.mapping(raw, key, set(_RULES)).items():
        if k == "max_age_days":
            changes["max_age"] = None if value is None else timedelta(days=_RULES[k](value, f"{key}.{k}"))
        else:
            changes[k] = _RULES[k](value, f"{key}.{k}")
    return replace(base, **changes)


def check_base_url(value: str, where: str = "--base-url") -> str:
    """Validate a base URL given on the command line."""
    return v.url(value, where)


def _topic_link(value: Any, key: str) -> str:
    """A topic page URL, where ``{slug}`` stands for the topic's slug."""
    v.of_type(value, str, key, "a URL")
    v.url(value.replace("{slug}", "x"), key)
    return value


def _slug(value: Any, key: str) -> str:
    """A feed file name: what :func:`~feedpub.topics.slugify` keeps as it is."""
    v.of_type(value, str, key, "a slug")
    if slugify(value) != value:
        raise ConfigError(f"{key}: {v.shown(value)} is not a slug (try {slugify(value)!r})")
    return value


def _pattern(value: Any, key: str) -> str:
    """A file name pattern: matched against names, so it never holds a folder separator."""
    v.text("a file name pattern")(value, key)
    if "/" in value or os.sep in value:
        raise ConfigError(f"{key}: {v.shown(value)}: a file name pattern, without folders (such as *.md)")
    return value


_SITE: dict[str, v.Check] = {
    "title": v.name,
    "link": v.url,
    "base_url": v.url,
    "language": v.language,
    "description": v.prose,
    "author": v.name,
    "logo": v.url,
    "favicon": v.url,
    "topic_link": _topic_link,
}
_FORMATS = v.items(v.choice(*FORMATS), "a list of formats")
_FOLDERS = v.items(v.folder, "a list of folders", single=True)
_HUBS = v.items(v.url, "a list of URLs")

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
    "archive",
    "digest",
}


def _keys(cls: type) -> set[str]:
    """The config keys of a section: the fields of its dataclass."""
    return {f.name for f in fields(cls)}


_DEFAULT = Config()


def _get(raw: dict[str, Any], key: str, default: Any, check: v.Check, where: str = "") -> Any:
    """``raw[key]`` checked (null only where the default is none), else the default."""
    if key not in raw or (raw[key] is None and default is None):
        return default
    return check(raw[key], where or key)


def load_config(path: Path | None, env: EnvOverrides | None = None) -> Config:
    """Read and check a config file, with the environment's overrides (:mod:`feedpub.config_env`)
    applied; ``None`` and no override give the built-in defaults.

    Every value is checked now, before any article is read: a ConfigError of one line
    names the file and the key, or the variable that set it.
    """
    if path is None and (env is None or not env.values):
        return Config()
    raw = load_yaml(str(path)) if path is not None else None
    if env is not None:
        raw = env.apply(raw)
    try:
        config = _config(raw, path)
    except ConfigError as exc:
        blamed = env.blame(str(exc)) if env is not None else None
        if blamed is not None:
            raise ConfigError(blamed) from None
        raise ConfigError(f"{printable(str(path))}: {exc}" if path is not None else str(exc)) from None
    topics = env.names.get(("topics",)) if env is not None else None
    return replace(config, overrides_from=topics) if topics else config


def _config(raw: Any, path: Path | None) -> Config:
    raw = v.mapping(raw, "", _TOP)
    here = path.parent if path is not None else Path()  # no file: relative to the current folder
    site_raw = v.mapping(raw.get("site"), "site", _keys(Site))
    site = Site(**{k: _get(site_raw, k, getattr(_DEFAULT.site, k), _SITE[k], f"site.{k}") for k in site_raw})
    sources = tuple(Path(os.path.normpath(here / s)) for s in _FOLDERS(raw.get("sources"), "sources"))
    for i, source in enumerate(sources):
        if source in sources[:i]:
            raise ConfigError(f"sources[{i}]: the same folder as sources[{sources.index(source)}]")
    formats = _get(raw, "formats", list(_DEFAULT.formats), _FORMATS)
    if not formats:
        raise ConfigError(f"formats: name at least one of {', '.join(FORMATS)}")
    site_feed = v.mapping(raw.get("site_feed"), "site_feed", {"enabled", "slug", "title"})
    defaults = _rules(raw.get("selection"), _DEFAULT.defaults, "selection")
    overrides, names = _overrides(raw.get("topics"), defaults)
    websub = v.mapping(raw.get("websub"), "websub", {"hubs"})
    # Credentials never belong in this file: boto3 reads them from the environment,
    # profiles or instance roles (keys such as 'secret_access_key' are unknown keys here).
    publish = dict(v.mapping(raw.get("publish"), "publish", _keys(PublishSettings)))
    if publish.get("purge") is not None:
        publish["purge"] = _purge(publish["purge"], "publish.purge")
    target = publish.get("target")
    if target is not None and v.target_scheme(_check_of(PublishSettings, "target")(target, "publish.target")) is None:
        publish["target"] = os.path.normpath(here / target)
    probe = dict(v.mapping(raw.get("probe"), "probe", _keys(ProbeSettings)))
    cache = _get(probe, "cache", _DEFAULT.image_probe.cache, _file, "probe.cache")
    probe["cache"] = Path(os.path.normpath(here / cache))  # the default too: beside the config file
    cache_dir = _get(raw, "cache_dir", None, v.folder)
    archive = ArchiveSettings(**v.mapping(raw.get("archive"), "archive", _keys(ArchiveSettings)))
    digest = _digest(raw.get("digest"), DigestSettings(), "digest")
    digests = {
        key: _digest(over["digest"], digest, f"topics.{names[key]}.digest") for key, over in overrides.items() if "digest" in over
    }
    return Config(
        archive=archive,
        digest=digest,
        digests=digests,
        image_probe=ProbeSettings(**probe),
        directory=_get(raw, "directory", _DEFAULT.directory, v.flag),
        publish=PublishSettings(**publish),
        path=path,
        site=site,
        sources=sources,
        pattern=_get(raw, "pattern", _DEFAULT.pattern, _pattern),
        output=Path(os.path.normpath(here / _get(raw, "output", str(_DEFAULT.output), v.folder))),
        formats=tuple(formats),
        site_feed=_get(site_feed, "enabled", _DEFAULT.site_feed, v.flag, "site_feed.enabled"),
        site_feed_slug=_get(site_feed, "slug", _DEFAULT.site_feed_slug, _slug, "site_feed.slug"),
        site_feed_title=_get(site_feed, "title", _DEFAULT.site_feed_title, v.name, "site_feed.title"),
        defaults=defaults,
        overrides=overrides,
        override_names=names,
        hubs=tuple(_HUBS(websub.get("hubs"), "websub.hubs")),
        cache_dir=here / cache_dir if cache_dir is not None else None,
    )


def _digest(raw: Any, base: DigestSettings, key: str) -> DigestSettings:
    """``base`` with a ``digest`` section's values, each checked and named by ``key``."""
    if raw is None and key != "digest":
        return replace(base, enabled=False)  # a topic's ``digest: null``: none for it
    changes = dict(v.mapping(raw, key, _keys(DigestSettings)))
    if key != "digest":
        changes.setdefault("enabled", True)  # a topic's own digest section turns its feed on
    try:
        return replace(base, **changes)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("digest.", f"{key}.", 1)) from None


def _overrides(raw: Any, defaults: Rules) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The ``topics`` section, checked: rules by topic key, and each key's name as written."""
    overrides: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for name, over in v.mapping(raw, "topics", None).items():
        key = f"topics.{name}" if name.strip() and printable(name) == name else f"topics.{v.shown(name)}"
        v.name(name, key)
        _rules({k: x for k, x in (over or {}).items() if k != "digest"} if isinstance(over, dict) else over, defaults, key)
        topic = topic_key(name)
        if topic in overrides:
            raise ConfigError(f"{key}: the same topic as topics.{names[topic]}")
        overrides[topic], names[topic] = over or {}, name
    return overrides, names


def check_overrides(config: Config, topics: TopicIndex) -> None:
    """Refuse a ``topics`` override that no topic of this build takes, or two that one topic takes.

    Called once the articles are collected (a config loads before they are read): an
    override the user misspelt would otherwise leave its topic on the default rules,
    publishing articles meant to be held back. A topic is taken by the override under
    its name or under the slug of its name, as :meth:`Config.rules_for` looks them up.
    """
    if not config.overrides:
        return
    name = config.override_names.get
    taken: dict[str, str] = {}  # topic key -> the override that takes it
    for key in sorted(topics.by_key):  # sorted: the same message on every run
        for over in dict.fromkeys((key, slugify(key))):
            if over not in config.overrides:
                continue
            first = taken.setdefault(key, over)
            if first != over:
                raise _in(config, f"topics.{name(over, over)}: the same topic as topics.{name(first, first)}")
    matched = set(taken.values())
    for over in config.overrides:
        if over not in matched:
            raise _in(config, f"topics.{name(over, over)}: {_no_topic(over, topics)}")


def _no_topic(over: str, topics: TopicIndex) -> str:
    """Why an override matches no topic, with the closest topic name when there is one."""
    import difflib  # only for this message: not on every run's start-up

    for topic in topics.by_key.values():
        if topic.slug == over:
            return f"{over!r} is the file name of topic {topic.name!r}: name the topic instead"
    names: dict[str, str] = {}
    for key, topic in topics.by_key.items():
        names.setdefault(key, topic.name)
        names.setdefault(slugify(key), topic.name)
    close = difflib.get_close_matches(over, list(names), n=1)
    hint = f" (did you mean {names[close[0]]!r}?)" if close else ""
    return f"no article or topic definition has this topic{hint}"


def _in(config: Config, message: str) -> ConfigError:
    """A ConfigError about the ``topics`` overrides, naming where they were written: the variable
    that set them, else the config file (when the config came from one)."""
    where = config.overrides_from or (printable(str(config.path)) if config.path else None)
    return ConfigError(f"{where}: {message}" if where else message)
