"""The up-to-date check: an unchanged build is answered without work, any change rebuilds.

Runs the command through its entry point (``feedpub.entry.main``), as the console
script does, in a folder of its own with its own user cache folder (conftest).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub import report
from feedpub.cache import uptodate
from feedpub.entry import main

from ..conftest import FIXTURE_SITE


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the fixture site that the tests may edit."""
    return Path(shutil.copytree(FIXTURE_SITE, tmp_path / "site"))


def build(site: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict, str]:
    args = ["build", "--source", str(site), "--output", str(out), "--base-url", "https://f.test/", "--json", *extra]
    status = main(args)
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    st = path.stat()  # a later mtime, even on a coarse clock
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_unchanged_build_is_answered_from_the_stamp(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    status, first, err1 = build(site, out, capsys)
    files = snapshot(out)
    status2, second, err2 = build(site, out, capsys)
    assert (status, status2) == (0, 0)
    assert first["up_to_date"] is False and second["up_to_date"] is True
    assert snapshot(out) == files  # nothing rewritten, not even touched
    assert second["output"] == {"folder": str(out), "written": 0, "unchanged": first["output"]["written"], "deleted": 0}
    assert second["cache"]["hits"] == first["articles"]["read"] and second["cache"]["parsed"] == 0
    assert second["topics"] == first["topics"]
    # The same report, but the rejected file is old news: listed, not new, not told again.
    assert [r.pop("new") for r in first["articles"]["rejected"]] == [True]
    assert [r.pop("new") for r in second["articles"]["rejected"]] == [False]
    assert second["articles"] == first["articles"]
    assert "2025-03-04-broken.md" in err1 and "2025-03-04-broken.md" not in err2
    assert err2 == err1.replace(next(line for line in err1.splitlines(True) if "broken.md" in line), "")


def test_an_edited_article_is_rebuilt(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    build(site, out, capsys)
    article = next(p for p in sorted((site / "_news").iterdir()) if "broken" not in p.name)
    title = next(line for line in article.read_text(encoding="utf-8").splitlines() if line.startswith("title:"))
    edit(article, title, 'title: "Edited title"')
    _, summary, _ = build(site, out, capsys)
    assert summary["up_to_date"] is False and summary["output"]["written"] > 0
    assert any(b"Edited title" in p.read_bytes() for p in out.glob("*.xml"))
    _, again, _ = build(site, out, capsys)
    assert again["up_to_date"] is True


def test_a_new_or_deleted_article_is_rebuilt(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    _, first, _ = build(site, out, capsys)
    article = next(p for p in sorted((site / "_news").iterdir()) if "broken" not in p.name)
    shutil.copy(article, article.with_name("2030-01-01-copy.md"))
    _, second, _ = build(site, out, capsys)
    assert second["up_to_date"] is False and second["articles"]["read"] == first["articles"]["read"] + 1
    article.with_name("2030-01-01-copy.md").unlink()
    _, third, _ = build(site, out, capsys)
    assert third["up_to_date"] is False and third["articles"]["read"] == first["articles"]["read"]


def test_an_output_file_changed_by_hand_is_rewritten(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    build(site, out, capsys)
    good = (out / "robots.xml").read_bytes()
    (out / "robots.xml").write_bytes(b"<rss>vandalised</rss>")
    _, summary, _ = build(site, out, capsys)
    assert summary["up_to_date"] is False
    assert (out / "robots.xml").read_bytes() == good
    (out / "robots.atom").unlink()
    _, summary, _ = build(site, out, capsys)
    assert summary["up_to_date"] is False and (out / "robots.atom").is_file()


def test_config_and_topic_definitions_are_inputs(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    config = tmp_path / "config" / "feedpub.yaml"  # the default config, relative to the working folder
    build(site, out, capsys)
    config.parent.mkdir()
    config.write_text("site:\n  title: Renamed\n", encoding="utf-8")
    _, summary, _ = build(site, out, capsys)
    assert summary["up_to_date"] is False
    assert b"Renamed" in (out / "robots.xml").read_bytes()
    topics = site / "_data" / "topics"
    topics.mkdir(parents=True, exist_ok=True)
    (topics / "robots.yml").write_text("name: Robots and Drones\n", encoding="utf-8")
    _, summary, _ = build(site, out, capsys)
    assert summary["up_to_date"] is False
    assert any(t["name"] == "Robots and Drones" for t in summary["topics"])


def test_the_clock_ends_a_stamp(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    args = ["build", "--source", str(site), "--output", str(out), "--base-url", "https://f.test/", "--json"]
    build(site, out, capsys)
    path = uptodate.stamp_file(args)
    assert path is not None and os.path.isfile(path)
    stamp = uptodate.load(path)
    assert stamp is not None
    # An article falling due at that moment (or one aging out) ends the stamp.
    stamp["valid_until"] = uptodate._now_us() + 60_000_000
    uptodate.save(path, stamp)
    assert uptodate.find(args) is not None
    monkeypatch.setattr(uptodate, "_now_us", lambda: stamp["valid_until"])
    assert uptodate.find(args) is None
    # So does a clock set back before the stamped build.
    monkeypatch.setattr(uptodate, "_now_us", lambda: stamp["now"] - 1)
    assert uptodate.find(args) is None


def test_stamps_of_another_shape_or_version_are_ignored(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["build", "--source", str(site), "--output", str(out), "--base-url", "https://f.test/", "--json"]
    build(site, out, capsys)
    path = uptodate.stamp_file(args)
    assert path is not None
    for junk in (b"", b"not marshal", b"\xe9" * 100):
        Path(path).write_bytes(junk)
        _, summary, _ = build(site, out, capsys)
        assert summary["up_to_date"] is False
    stamp = uptodate.load(path)
    assert stamp is not None
    stamp["version"] = (0, "0.0.0")
    uptodate.save(path, stamp)
    _, summary, _ = build(site, out, capsys)
    assert summary["up_to_date"] is False


def test_no_cache_and_probing_never_use_stamps(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    for _ in range(2):
        _, summary, _ = build(site, out, capsys, "--no-cache")
        assert summary["up_to_date"] is False
    config = tmp_path / "probing.yaml"
    config.write_text("probe:\n  enabled: true\n  max_per_run: 0\n", encoding="utf-8")
    for _ in range(2):
        _, summary, _ = build(site, out, capsys, "--config", str(config), "--no-probe")
        assert summary["up_to_date"] is False


def test_strict_status_and_quiet_output_are_replayed(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["build", "--source", str(site), "--output", str(out), "--strict", "--quiet"]
    assert main(args) == 1
    first = capsys.readouterr()
    assert main(args) == 1
    second = capsys.readouterr()
    assert uptodate.find(args) is not None  # the second run was answered from the stamp
    strict = "feedpub: --strict: 1 file was rejected ('feedpub check' lists every one)\n"
    # The new rejected file is named once; the failed --strict says so on every run.
    assert first.out == second.out == ""
    assert first.err.startswith("feedpub: skipped ") and first.err.endswith(strict) and len(first.err.splitlines()) == 2
    assert second.err == strict


def test_the_one_line_report_counts_this_run(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    args = ["build", "--source", str(site), "--output", str(out), "--base-url", "https://f.test/"]
    monkeypatch.setattr(report, "on_terminal", lambda: True)  # the line is for a person at a terminal
    main(args)
    first = capsys.readouterr().err.strip().splitlines()[-1]
    main(args)
    second = capsys.readouterr().err.strip().splitlines()[-1]
    assert uptodate.find(args) is not None  # the second run was answered from the stamp
    assert "written, 0 unchanged)" in first and "(0 written" not in first
    assert "(0 written, " in second and first.split(" (")[0] == second.split(" (")[0]


# Run as cron runs it (a fresh interpreter); prints the modules loaded once it is done.
_LOADED = "import sys; from feedpub.entry import main; main(sys.argv[1:]); print(*sorted(sys.modules), file=sys.stderr)"


def test_an_up_to_date_run_loads_only_the_check(site: Path, tmp_path: Path) -> None:
    """A cron run that finds nothing new pays for an interpreter and the stat of each file only.

    Not the pipeline, not the YAML or feed libraries, and not even typing, hashlib (which
    loads OpenSSL), json or importlib.util: each costs start-up on every run.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    argv = [sys.executable, "-c", _LOADED, "build", "--source", str(site), "--output", str(tmp_path / "out")]
    argv += ["--base-url", "https://f.test/", "--quiet"]
    runs = [subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, check=True) for _ in range(2)]
    first, second = (set(run.stderr.split()) for run in runs)
    heavy = {"feedpub.cli", "feedpub.build", "yaml", "feedgen", "lxml", "nh3", "dateutil"}
    heavy |= {"typing", "hashlib", "json", "importlib.util"}
    assert heavy <= first  # the full build loads them (json for the stamp's report)...
    assert not heavy & second, sorted(heavy & second)  # ...the up-to-date one none of them
    assert {"feedpub.cache.uptodate", "feedpub.collect.scan"} <= second
