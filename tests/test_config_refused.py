"""Every key of the README's Configuration block, given a bad value, through the real command line.

Each case is a config file; ``feedpub check`` and ``feedpub build`` (each its own
process) must exit 2 with exactly one line on stderr naming the file and the key, no
traceback, and no output folder. The cases go key by key: wrong type, empty, negative,
zero, absurdly large, control characters, null where the default is not none, a list
where a mapping belongs, and the file-level faults (not UTF-8, duplicate keys, anchors
and aliases, tags, nesting, size).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .configsite import feedpub, make_site

BIG = 10**30
LONG = "x" * 301

# (id, file content, what the one line must contain besides the file name)
CASES: list[tuple[str, str | bytes, str]] = [
    # the file as a whole
    ("top-list", "- a\n- b\n", "a mapping of keys at the top level, got list"),
    ("top-text", "just words\n", "a mapping of keys at the top level, got str"),
    ("top-unknown", "titel: x\n", "titel: unknown key"),
    ("not-utf8", b"site:\n  title: caf\xe9\n", "not UTF-8 text (invalid byte at offset 18)"),
    ("duplicate-key", "output: a\noutput: b\n", "duplicate key 'output' (line 2)"),
    ("duplicate-nested", "site:\n  title: a\n  title: b\n", "duplicate key 'title' (line 3)"),
    ("anchor-alias", "site: &s {title: x}\nsite_feed: *s\n", "YAML anchors (&s) are not allowed"),
    ("merge-key", "selection:\n  <<: {max_items: 3}\n", "merge keys"),
    ("python-tag", "output: !!python/name:os.system x\n", "is not allowed (plain values only)"),
    ("bad-date", "output: 2024-13-45\n", "not valid YAML: a value cannot be read (month must be in 1..12)"),
    ("bad-float-tag", "output: !!float abc\n", "not valid YAML: a value cannot be read"),
    ("too-deep", "site: " + "[" * 40 + "]" * 40 + "\n", "nested deeper than 32 levels"),
    ("syntax", "site: [unclosed\n", "not valid YAML at line"),
    ("too-large", "# " + "x" * 1_000_001 + "\n", "larger than 1,000,000 bytes"),
    # site
    ("site-list", "site: [a]\n", "site: expected a mapping, got list"),
    ("site-text", "site: Example\n", "site: expected a mapping, got str"),
    ("site-unknown", "site:\n  titel: x\n", "site.titel: unknown key"),
    ("site-key-not-text", "site:\n  1: x\n", "site: key 1 is not text"),
    ("title-number", "site:\n  title: 5\n", "site.title: expected text, got int"),
    ("title-empty", "site:\n  title: ''\n", "site.title: must not be empty"),
    ("title-blank", "site:\n  title: '   '\n", "site.title: must not be empty"),
    ("title-null", "site:\n  title: null\n", "site.title: expected text, got null"),
    ("title-list", "site:\n  title: [a]\n", "site.title: expected text, got list"),
    ("title-bell", 'site:\n  title: "a\\ab"\n', "site.title: contains the control character U+0007"),
    ("title-newline", 'site:\n  title: "a\\nb"\n', "site.title: contains the control character U+000A"),
    ("title-nul", 'site:\n  title: "a\\0b"\n', "site.title: contains the control character U+0000"),
    ("title-c1", 'site:\n  title: "a\\x85b"\n', "site.title: contains the control character U+0085"),
    ("title-bidi", 'site:\n  title: "a\\u202eb"\n', "site.title: contains the control character U+202E"),
    ("title-long", f"site:\n  title: {LONG}\n", "site.title: longer than 300 characters"),
    ("link-scheme", "site:\n  link: 'javascript:alert(1)'\n", "site.link: not an absolute http(s) URL"),
    ("link-empty", "site:\n  link: ''\n", "site.link: not an absolute http(s) URL"),
    ("base-url-number", "site:\n  base_url: 5\n", "site.base_url: expected a URL, got int"),
    ("base-url-ftp", "site:\n  base_url: ftp://x/\n", "site.base_url: not an absolute http(s) URL"),
    ("language-empty", "site:\n  language: ''\n", "site.language: '' is not a language tag"),
    ("language-space", "site:\n  language: en us\n", "site.language: 'en us' is not a language tag"),
    ("language-null", "site:\n  language: null\n", "site.language: expected a language tag, got null"),
    ("description-nul", 'site:\n  description: "a\\0"\n', "site.description: contains the control character U+0000"),
    ("description-long", "site:\n  description: " + "y" * 2001 + "\n", "site.description: longer than 2,000"),
    ("author-empty", "site:\n  author: ''\n", "site.author: must not be empty"),
    ("author-mapping", "site:\n  author: {name: x}\n", "site.author: expected text, got dict"),
    ("logo-relative", "site:\n  logo: /logo.png\n", "site.logo: not an absolute http(s) URL"),
    ("favicon-relative", "site:\n  favicon: favicon.ico\n", "site.favicon: not an absolute http(s) URL"),
    ("topic-link-relative", "site:\n  topic_link: /t/{slug}/\n", "site.topic_link: not an absolute http(s) URL"),
    ("topic-link-number", "site:\n  topic_link: 5\n", "site.topic_link: expected a URL, got int"),
    # sources, pattern, output, formats, directory, cache_dir
    ("sources-number", "sources: 5\n", "sources: expected a list of folders, got int"),
    ("sources-null-item", "sources: [null]\n", "sources[0]: expected a folder path, got null"),
    ("sources-empty-item", "sources: ['']\n", "sources[0]: must not be empty"),
    ("sources-twice", "sources: [a, a]\n", "sources[1]: 'a' is listed twice"),
    ("sources-same-folder", "sources: [a, ./a]\n", "sources[1]: the same folder as sources[0]"),
    ("sources-mapping-item", "sources: [{a: 1}]\n", "sources[0]: expected a folder path, got dict"),
    ("sources-tab", 'sources: ["a\\tb"]\n', "sources[0]: contains the control character U+0009"),
    ("pattern-empty", "pattern: ''\n", "pattern: must not be empty"),
    ("pattern-number", "pattern: 5\n", "pattern: expected a file name pattern, got int"),
    ("pattern-folder", "pattern: 'news/*.md'\n", "pattern: 'news/*.md': a file name pattern, without folders"),
    ("pattern-null", "pattern: null\n", "pattern: expected a file name pattern, got null"),
    ("output-empty", "output: ''\n", "output: must not be empty"),
    ("output-number", "output: 5\n", "output: expected a folder path, got int"),
    ("output-null", "output: null\n", "output: expected a folder path, got null"),
    ("output-list", "output: [a]\n", "output: expected a folder path, got list"),
    ("formats-empty", "formats: []\n", "formats: name at least one of rss, atom, json"),
    ("formats-twice", "formats: [rss, rss]\n", "formats[1]: 'rss' is listed twice"),
    ("formats-unknown", "formats: [xml]\n", "formats[0]: 'xml': use rss, atom or json"),
    ("formats-text", "formats: rss\n", "formats: expected a list of formats, got str"),
    ("formats-null", "formats: null\n", "formats: name at least one of rss, atom, json"),
    ("formats-null-item", "formats: [null]\n", "formats[0]: expected rss, atom or json, got null"),
    ("formats-mapping", "formats: {rss: 1}\n", "formats: expected a list of formats, got dict"),
    ("directory-text", "directory: maybe\n", "directory: expected true or false, got str 'maybe'"),
    ("directory-number", "directory: 1\n", "directory: expected true or false, got int"),
    ("directory-null", "directory: null\n", "directory: expected true or false, got null"),
    ("cache-dir-empty", "cache_dir: ''\n", "cache_dir: must not be empty"),
    ("cache-dir-list", "cache_dir: [a]\n", "cache_dir: expected a folder path, got list"),
    # site_feed
    ("site-feed-list", "site_feed: [a]\n", "site_feed: expected a mapping, got list"),
    ("site-feed-unknown", "site_feed:\n  name: x\n", "site_feed.name: unknown key"),
    ("site-feed-enabled", "site_feed:\n  enabled: 1\n", "site_feed.enabled: expected true or false, got int"),
    ("site-feed-slug", "site_feed:\n  slug: All Topics\n", "site_feed.slug: 'All Topics' is not a slug (try 'all-topics')"),
    ("site-feed-slug-number", "site_feed:\n  slug: 5\n", "site_feed.slug: expected a slug, got int"),
    ("site-feed-slug-empty", "site_feed:\n  slug: ''\n", "site_feed.slug: '' is not a slug"),
    ("site-feed-title-empty", "site_feed:\n  title: ''\n", "site_feed.title: must not be empty"),
    ("site-feed-title-null", "site_feed:\n  title: null\n", "site_feed.title: expected text, got null"),
    ("site-feed-title-cr", 'site_feed:\n  title: "a\\rb"\n', "site_feed.title: contains the control character U+000D"),
    # selection
    ("selection-list", "selection: [a]\n", "selection: expected a mapping, got list"),
    ("selection-unknown", "selection:\n  max_item: 3\n", "selection.max_item: unknown key"),
    ("min-quality-nan", "selection:\n  min_quality: .nan\n", "selection.min_quality: expected a number, got nan"),
    ("min-quality-inf", "selection:\n  min_quality: .inf\n", "selection.min_quality: expected a number, got inf"),
    ("min-quality-text", "selection:\n  min_quality: high\n", "selection.min_quality: expected a number, got str 'high'"),
    ("min-quality-bool", "selection:\n  min_quality: true\n", "selection.min_quality: expected a number, got True"),
    ("min-quality-null", "selection:\n  min_quality: null\n", "selection.min_quality: expected a number, got null"),
    ("max-items-zero", "selection:\n  max_items: 0\n", "selection.max_items: must be at least 1"),
    ("max-items-negative", "selection:\n  max_items: -1\n", "selection.max_items: must be at least 1"),
    ("max-items-float", "selection:\n  max_items: 1.5\n", "selection.max_items: expected a whole number, got float"),
    ("max-items-huge", f"selection:\n  max_items: {BIG}\n", "selection.max_items: must be at most 100,000"),
    ("max-items-quoted", "selection:\n  max_items: '50'\n", "selection.max_items: expected a whole number, got str '50'"),
    ("max-age-zero", "selection:\n  max_age_days: 0\n", "selection.max_age_days: must be more than 0"),
    ("max-age-negative", "selection:\n  max_age_days: -1\n", "selection.max_age_days: must be more than 0"),
    ("max-age-inf", "selection:\n  max_age_days: .inf\n", "selection.max_age_days: expected a number of days, got inf"),
    ("max-age-nan", "selection:\n  max_age_days: .nan\n", "selection.max_age_days: expected a number of days, got nan"),
    ("max-age-huge", "selection:\n  max_age_days: 1000000000\n", "selection.max_age_days: must be at most 100,000"),
    ("max-age-yaml11", "selection:\n  max_age_days: 1e9\n", "selection.max_age_days: expected a number of days, got str '1e9'"),
    ("unpublished-number", "selection:\n  include_unpublished: 1\n", "selection.include_unpublished: expected true or false"),
    ("unpublished-null", "selection:\n  include_unpublished: null\n", "selection.include_unpublished: expected true or false"),
    # topics
    ("topics-list", "topics: [Climate]\n", "topics: expected a mapping, got list"),
    ("topics-text", "topics: Climate\n", "topics: expected a mapping, got str"),
    (
        "topic-no-topic",
        "topics:\n  Clmate:\n",
        "topics.Clmate: no article or topic definition has this topic (did you mean 'Climate'?)",
    ),
    (
        "topic-no-topic-far",
        "topics:\n  Gardening: {max_items: 3}\n",
        "topics.Gardening: no article or topic definition has this topic",
    ),
    ("topic-twice", "topics:\n  Climate: {}\n  climate: {}\n", "topics.climate: the same topic as topics.Climate"),
    ("topic-name-and-slug", "topics:\n  Computer Vision: {}\n  computer-vision: {}\n", "topics.computer-vision: the same topic"),
    ("topic-list-value", "topics:\n  Climate: []\n", "topics.Climate: expected a mapping, got list"),
    ("topic-text-value", "topics:\n  Climate: strict\n", "topics.Climate: expected a mapping, got str"),
    ("topic-max-items", "topics:\n  Climate: {max_items: 0}\n", "topics.Climate.max_items: must be at least 1"),
    ("topic-unknown-rule", "topics:\n  Climate: {colour: red}\n", "topics.Climate.colour: unknown key"),
    ("topic-key-number", "topics:\n  2024: {}\n", "topics: key 2024 is not text (quote it)"),
    ("topic-key-null", "topics:\n  ~: {}\n", "topics: key None is not text"),
    ("topic-key-empty", "topics:\n  '': {}\n", "topics.'': must not be empty"),
    ("topic-key-control", 'topics:\n  "Cli\\amate": {}\n', "topics.'Cli\\x07mate': contains the control character U+0007"),
    # websub
    ("websub-list", "websub: [a]\n", "websub: expected a mapping, got list"),
    ("websub-unknown", "websub:\n  hub: x\n", "websub.hub: unknown key"),
    ("hubs-null-item", "websub:\n  hubs: [null]\n", "websub.hubs[0]: expected a URL, got null"),
    ("hubs-text", "websub:\n  hubs: https://hub.test/\n", "websub.hubs: expected a list of URLs, got str"),
    ("hubs-ftp", "websub:\n  hubs: ['ftp://hub.test/']\n", "websub.hubs[0]: not an absolute http(s) URL"),
    (
        "hubs-twice",
        "websub:\n  hubs: ['https://hub.test/', 'https://hub.test/']\n",
        "websub.hubs[1]: 'https://hub.test/' is listed twice",
    ),
    # publish
    ("publish-list", "publish: [a]\n", "publish: expected a mapping, got list"),
    ("publish-secret", "publish:\n  secret_access_key: x\n", "publish.secret_access_key: unknown key"),
    ("target-empty", "publish:\n  target: ''\n", "publish.target: must not be empty"),
    ("target-number", "publish:\n  target: 5\n", "publish.target: expected a folder or s3://BUCKET/PREFIX/, got int"),
    ("target-newline", 'publish:\n  target: "s3://a/\\nb"\n', "publish.target: contains the control character U+000A"),
    ("endpoint-not-url", "publish:\n  endpoint_url: localhost:8333\n", "publish.endpoint_url: not an absolute http(s) URL"),
    ("endpoint-number", "publish:\n  endpoint_url: 5\n", "publish.endpoint_url: expected a URL, got int"),
    ("region-space", "publish:\n  region: us east\n", "publish.region: 'us east' is not a region name"),
    ("region-empty", "publish:\n  region: ''\n", "publish.region: '' is not a region name"),
    (
        "addressing-sideways",
        "publish:\n  addressing_style: sideways\n",
        "publish.addressing_style: 'sideways': use auto, path or virtual",
    ),
    (
        "addressing-number",
        "publish:\n  addressing_style: 1\n",
        "publish.addressing_style: expected auto, path or virtual, got int",
    ),
    ("profile-empty", "publish:\n  profile: ''\n", "publish.profile: must not be empty"),
    (
        "cache-control-newline",
        'publish:\n  cache_control: "a\\nb"\n',
        "publish.cache_control: 'a\\nb': must be one non-empty header value",
    ),
    ("cache-control-empty", "publish:\n  cache_control: ''\n", "publish.cache_control: '': must be one non-empty header value"),
    (
        "cache-control-null",
        "publish:\n  cache_control: null\n",
        "publish.cache_control: expected a Cache-Control header value, got null",
    ),
    ("delete-stale-number", "publish:\n  delete_stale: 1\n", "publish.delete_stale: expected true or false, got int"),
    ("delete-stale-text", "publish:\n  delete_stale: 'true'\n", "publish.delete_stale: expected true or false, got str 'true'"),
    ("max-deletes-negative", "publish:\n  max_deletes: -5\n", "publish.max_deletes: must not be negative"),
    ("max-deletes-float", "publish:\n  max_deletes: 1.5\n", "publish.max_deletes: expected a whole number, got float"),
    ("workers-zero", "publish:\n  workers: 0\n", "publish.workers: must be at least 1"),
    ("workers-huge", f"publish:\n  workers: {BIG}\n", "publish.workers: must be at most 64"),
    ("workers-bool", "publish:\n  workers: true\n", "publish.workers: expected a whole number, got True"),
    ("workers-null", "publish:\n  workers: null\n", "publish.workers: expected a whole number, got null"),
    ("lock-wait-negative", "publish:\n  lock_wait: -1\n", "publish.lock_wait: must not be negative"),
    ("lock-wait-inf", "publish:\n  lock_wait: .inf\n", "publish.lock_wait: expected a number of seconds, got inf"),
    ("lock-wait-huge", "publish:\n  lock_wait: 100000\n", "publish.lock_wait: must be at most 3,600"),
    # probe
    ("probe-list", "probe: [a]\n", "probe: expected a mapping, got list"),
    ("probe-unknown", "probe:\n  retries: 3\n", "probe.retries: unknown key"),
    ("probe-enabled", "probe:\n  enabled: 1\n", "probe.enabled: expected true or false, got int"),
    ("probe-cache-empty", "probe:\n  cache: ''\n", "probe.cache: must not be empty"),
    ("probe-cache-number", "probe:\n  cache: 7\n", "probe.cache: expected a file path, got int"),
    ("probe-max-age-negative", "probe:\n  max_age_days: -1\n", "probe.max_age_days: must not be negative"),
    ("probe-max-age-nan", "probe:\n  max_age_days: .nan\n", "probe.max_age_days: expected a number of days, got nan"),
    ("probe-max-age-huge", "probe:\n  max_age_days: 1000000000\n", "probe.max_age_days: must be at most 100,000"),
    ("probe-timeout-zero", "probe:\n  timeout: 0\n", "probe.timeout: must be more than 0"),
    ("probe-timeout-huge", "probe:\n  timeout: 100000\n", "probe.timeout: must be at most 120"),
    ("probe-max-per-run-negative", "probe:\n  max_per_run: -1\n", "probe.max_per_run: must not be negative"),
    ("probe-max-per-run-huge", f"probe:\n  max_per_run: {BIG}\n", "probe.max_per_run: must be at most 100,000"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site(tmp_path_factory.mktemp("config-refused") / "site")


def one_error_line(stderr: str, config: Path) -> str:
    """The single line a refused config gives: ``feedpub: error: FILE: ...``."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"feedpub: error: {config}: "), lines[0]
    return lines[0]


@pytest.mark.parametrize(("content", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_and_build_refuse_the_value_with_one_line(site: Path, tmp_path: Path, content: str | bytes, message: str) -> None:
    config = tmp_path / "feedpub.yaml"
    if isinstance(content, bytes):
        config.write_bytes(content)
    else:
        config.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    # Both commands at once, each its own process: half the wait on two cores.
    check = feedpub("check", "--config", str(config), "--source", str(site), "--no-cache", cwd=tmp_path)
    build = feedpub(
        "build",
        "--config",
        str(config),
        "--source",
        str(site),
        "--output",
        str(out),
        "--base-url",
        "https://feeds.test/",
        cwd=tmp_path,
    )
    for proc in (check, build):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err
        assert message in one_error_line(err, config)
    assert not out.exists()  # nothing written
