"""The build as one call: ``build.run(config, overrides, now)`` and the publish beside it.

Every test sets the clock (``now``) instead of waiting for it, and reads what the run
returns and what it wrote; nothing goes through argument parsing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from feedpub import build
from feedpub.build import BuildResult, Overrides
from feedpub.build_publish import publish, publish_target
from feedpub.config import Config, Site
from feedpub.errors import ConfigError, LockError, PublishError
from feedpub.publish.folder import FolderTarget
from feedpub.publish.lock import acquire_lock, lock_file
from feedpub.publish.written import RECORD_NAME
from feedpub.select import Rules

from .conftest import FIXTURE_SITE

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# Article files get an mtime long ago: the parse cache re-parses files written moments
# ago rather than trust them, which would hide what the tests look at.
_mtimes = iter(range(1_600_000_000, 1_700_000_000))


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    stamp = next(_mtimes) * 10**9 + 1000
    os.utime(path, ns=(stamp, stamp))


def write(path: Path, title: str, when: datetime, *, topics: str = "Robots", quality: int = 50) -> None:
    write_file(
        path,
        f"---\ntitle: {title}\npublishedDateTime: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        f"webUrl: https://news.test/{path.stem}\nquality: {quality}\ntopics: [{topics}]\n---\n",
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Two past articles in two topics, one unusable file, caches in their own folder."""
    news = tmp_path / "site" / "_news"
    write(news / "arm.md", "Robot arm", NOW - timedelta(days=2), quality=80)
    write(news / "probe.md", "Space probe", NOW - timedelta(days=1), topics="Space", quality=20)
    write_file(news / "broken.md", "---\ntitle: [unclosed\n---\n")
    return Config(
        sources=(tmp_path / "site",),
        output=tmp_path / "out",
        cache_dir=tmp_path / "cache",
        site=Site(base_url="https://feeds.test/"),
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def items(result: BuildResult) -> dict[str, list[str]]:
    """Each feed's item titles, by slug."""
    selections = [*result.selected.selections, *([result.selected.site] if result.selected.site else [])]
    return {s.topic.slug: [a.url.rsplit("/", 1)[1] for a in s.items] for s in selections}


def test_an_article_dated_in_the_future_appears_once_now_passes_it(config: Config, tmp_path: Path) -> None:
    due = NOW + timedelta(hours=2)
    write(tmp_path / "site" / "_news" / "later.md", "Later story", due)
    before = build.run(config, Overrides(), NOW)
    assert before.selected.held_back == {"future": 1}
    assert before.valid_until == due  # the stored selection is good until then
    assert items(before)["robots"] == ["arm"]
    assert b"Later story" not in (config.output / "robots.xml").read_bytes()

    moment_before = build.run(config, Overrides(), due - timedelta(microseconds=1))
    assert moment_before.selected.held_back == {"future": 1}
    assert moment_before.written is not None and moment_before.written.uploaded == ()

    after = build.run(config, Overrides(), due)
    assert "future" not in after.selected.held_back
    assert items(after)["robots"] == ["later", "arm"] and items(after)["all"][0] == "later"
    assert after.written is not None and {"robots.xml", "all.atom", "index.opml"} <= set(after.written.uploaded)
    assert b"Later story" in (config.output / "robots.xml").read_bytes()
    # What the caches gave is what a build from nothing gives at the same moment.
    fresh = build.run(replace(config, output=tmp_path / "fresh"), Overrides(), due, use_cache=False)
    assert fresh.cache is None and tree(config.output) == tree(tmp_path / "fresh")


def test_an_article_ages_out_when_now_passes_max_age(config: Config, tmp_path: Path) -> None:
    config = replace(config, defaults=Rules(max_age=timedelta(days=30)))
    published = NOW - timedelta(days=29)
    write(tmp_path / "site" / "_news" / "old.md", "Aging story", published)
    fresh = build.run(config, Overrides(), NOW)
    assert items(fresh)["robots"] == ["arm", "old"]
    assert fresh.valid_until == published + timedelta(days=30)
    aged = build.run(config, Overrides(), published + timedelta(days=30, seconds=1))
    assert items(aged)["robots"] == ["arm"] and aged.selected.held_back == {"too_old": 1}
    assert b"Aging story" not in (config.output / "robots.xml").read_bytes()


def test_overrides_win_over_the_config_for_every_feed(config: Config) -> None:
    config = replace(config, overrides={"robots": {"min_quality": 90}})
    assert items(build.run(config, Overrides(), NOW))["robots"] == []
    assert items(build.run(config, Overrides(min_quality=0), NOW))["robots"] == ["arm"]
    capped = build.run(config, Overrides(max_items=1), NOW)
    assert items(capped)["all"] == ["probe"] and items(capped)["space"] == ["probe"]
    assert items(build.run(config, Overrides(min_quality=30), NOW))["space"] == []


def test_a_rerun_is_answered_by_the_caches_and_writes_nothing(config: Config) -> None:
    first = build.run(config, Overrides(), NOW)
    assert (first.read, first.selected.accepted, [r.path.rsplit("/", 1)[1] for r in first.rejected]) == (3, 2, ["broken.md"])
    assert first.cache is not None and (first.cache.parsed, first.cache.hits) == (3, 0)
    assert first.written is not None and "robots.xml" in first.written.uploaded
    assert {f.name for f in first.files} | {RECORD_NAME} == set(os.listdir(config.output))
    again = build.run(config, Overrides(), NOW + timedelta(minutes=10))
    assert again.cache is not None and (again.cache.parsed, again.cache.hits, again.cache.feeds_rendered) == (0, 3, 0)
    assert again.written is not None and again.written.uploaded == ()
    report = build.summary(again)
    assert report["output"] == {"folder": str(config.output), "written": 0, "unchanged": len(first.files), "deleted": 0}
    assert list(report["timings"]) == ["collect", "select", "render", "write"]


def test_problems_go_to_the_callbacks_and_nothing_is_printed(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cache").write_text("a file where the cache folder belongs")  # the build goes without caches
    warnings: list[str] = []
    rejected: list[str] = []
    result = build.run(config, Overrides(), NOW, warn=warnings.append, on_rejection=lambda r: rejected.append(r.path))
    assert [Path(p).name for p in rejected] == ["broken.md"]
    assert warnings == [f"{tmp_path / 'cache'}: cannot use the cache folder (not a folder); this run goes without the cache"]
    assert items(result)["robots"] == ["arm"]  # the build went on
    assert capsys.readouterr() == ("", "")
    # The next run is told again: nothing is remembered between runs.
    warnings.clear()
    build.run(config, Overrides(), NOW, warn=warnings.append)
    assert len(warnings) == 1


def test_selecting_only_renders_and_writes_nothing(config: Config) -> None:
    result = build.collect_and_select(config, Overrides(), NOW)
    assert result.files == () and result.written is None and not config.output.exists()
    assert items(result) == {"robots": ["arm"], "space": ["probe"], "all": ["probe", "arm"]}
    assert [t["slug"] for t in build.summary(result)["topics"]] == ["robots", "space", "all"]


def test_check_reads_every_file_and_selects_nothing(config: Config) -> None:
    checked = build.check(replace(config, sources=(FIXTURE_SITE,)))
    assert (checked.read, checked.accepted, checked.definitions) == (4, 3, 1)
    assert [Path(r.path).name for r in checked.rejected] == ["2025-03-04-broken.md"]


def test_publish_to_a_folder_dry_run_then_for_real(config: Config, tmp_path: Path) -> None:
    target = tmp_path / "public"
    dry = publish(config, Overrides(), NOW, target=str(target), dry_run=True)
    assert dry.published is not None and "robots.xml" in dry.published.result.uploaded
    assert not target.exists()
    done = publish(config, Overrides(), NOW, target=str(target))
    report = build.summary(done)["publish"]
    assert report["target"] == {"kind": "folder", "path": str(target)}
    assert "robots.xml" in report["uploaded"] and report["websub_problems"] == []
    assert (target / "robots.xml").read_bytes() == next(f.data for f in done.files if f.name == "robots.xml")
    assert not config.output.exists()  # publishing to a target does not also write the output folder
    again = publish(config, Overrides(), NOW, target=str(target))
    assert again.published is not None and again.published.result.uploaded == ()


def test_publish_refuses_a_held_lock_and_reports_a_failing_target(config: Config, tmp_path: Path) -> None:
    target = str(tmp_path / "public")
    with acquire_lock(lock_file(FolderTarget(target).lock_key())), pytest.raises(LockError):
        publish(config, Overrides(), NOW, target=target)
    assert not Path(target).exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    failed = publish(config, Overrides(), NOW, target=str(blocker / "public"))
    assert failed.published is not None and isinstance(failed.published.failure, PublishError)
    assert failed.published.result.uploaded == () and items(failed)["robots"] == ["arm"]


def test_s3_targets_need_a_base_url(config: Config) -> None:
    with pytest.raises(ConfigError, match="needs --base-url"):
        publish_target(replace(config, site=Site()), "s3://feeds/news/")
    assert publish_target(config) == str(config.output)


def test_the_up_to_date_shortcut_loads_no_pipeline(tmp_path: Path) -> None:
    args = ["build", "--source", str(FIXTURE_SITE), "--output", str(tmp_path / "out"), "--json"]
    probe = (
        "import json, sys\n"
        "from feedpub.entry import main\n"
        "status = main(json.loads(sys.argv[1]))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('feedpub.'))\n"
        "print(json.dumps(loaded), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )

    def loaded() -> tuple[set[str], dict[str, Any]]:
        p = subprocess.run([sys.executable, "-c", probe, json.dumps(args)], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return set(json.loads(p.stderr.strip().splitlines()[-1])), json.loads(p.stdout)

    first, _ = loaded()
    assert {"feedpub.cli", "feedpub.build"} <= first
    second, report = loaded()
    assert report["up_to_date"] is True
    assert not second & {"feedpub.cli", "feedpub.build", "feedpub.select", "feedpub.render.feeds"}
