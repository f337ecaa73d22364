"""One code stamp keys every cache: a changed feedpub never keeps stale results.

The parse cache index, the render cache, the selection snapshot and the up-to-date
stamp of ``feedpub build`` are all dropped when the code stamp differs, and the stamp
changes with any module of the package, found by walking it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import feedpub
from feedpub.cache import stamp
from feedpub.entry import main

from ..conftest import FIXTURE_SITE

EDIT = """

# An edit made by the test: the JSON Feed writer now writes one more member.
_before_the_edit = render_json_feed


def render_json_feed(sel, **kw):  # type: ignore[no-redef]
    return _before_the_edit(sel, **kw).replace(b"{\\n", b'{\\n  "edited": "after the first build",\\n', 1)
"""


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_module_of_the_package_is_in_the_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = Path(shutil.copytree(Path(feedpub.__file__).parent, tmp_path / "feedpub"))
    before = stamp.modules(str(code))
    names = {name for name, _ in before}
    assert {"cli.py", os.path.join("render", "jsonfeed.py"), os.path.join("cache", "stamp.py")} <= names
    assert len(names) == len(list(code.rglob("*.py")))
    (code / "publish" / "websub.py").write_text((code / "publish" / "websub.py").read_text() + "\n# edited\n")
    assert stamp.modules(str(code)) != before
    (code / "render" / "new_writer.py").write_text("")
    assert {name for name, _ in stamp.modules(str(code))} == names | {os.path.join("render", "new_writer.py")}
    first = stamp.code_stamp()
    monkeypatch.setattr(stamp, "modules", lambda package: pytest.fail("the package was walked twice"))
    assert stamp.code_stamp() == first  # once per process: every cache file checks it


def test_another_code_stamp_drops_every_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = shutil.copytree(FIXTURE_SITE, tmp_path / "site")

    def build(out: Path, *extra: str) -> dict:
        argv = ["build", "--source", str(site), "--output", str(out), "--json", *extra]
        assert main(argv) == 0
        return json.loads(capsys.readouterr().out)

    argv_out = tmp_path / "out"
    first = build(argv_out)
    feeds = sum(not f.endswith(".html") for t in first["topics"] for f in t["files"])  # pages are not feeds
    assert first["cache"]["feeds_rendered"] == feeds
    assert build(argv_out).get("up_to_date") is True
    monkeypatch.setattr(stamp, "_stamp", b"another feedpub")
    again = build(argv_out)
    assert again["up_to_date"] is False  # the up-to-date stamp is not trusted ...
    # ... nor the parse cache index or the selection snapshot (which would make every
    # file a hit), nor a single rendered feed.
    assert (again["cache"]["hits"], again["cache"]["parsed"]) == (0, first["articles"]["read"])
    assert (again["cache"]["feeds_reused"], again["cache"]["feeds_rendered"]) == (0, feeds)
    build(tmp_path / "full", "--no-cache")
    assert tree(argv_out) == tree(tmp_path / "full")
    assert build(argv_out).get("up_to_date") is True  # stamped again, with this code


def test_an_edited_module_is_picked_up_by_a_cached_rebuild(tmp_path: Path) -> None:
    """A copy of the package, built from with a cache; its JSON Feed writer edited; built again."""
    code = tmp_path / "code"
    shutil.copytree(Path(feedpub.__file__).parent, code / "feedpub", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(code), XDG_CACHE_HOME=str(tmp_path / "user-cache"))
    site = str(FIXTURE_SITE)

    def build(out: Path, *extra: str) -> dict:
        argv = ["build", "--source", site, "--output", str(out), "--base-url", "https://f.test/", "--json", *extra]
        command = [sys.executable, "-m", "feedpub", *argv]
        run = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, timeout=120, check=False)
        assert run.returncode == 0, run.stderr.decode()
        return json.loads(run.stdout)

    out, cache = tmp_path / "out", ["--cache-dir", str(tmp_path / "cache")]
    first = build(out, *cache)
    assert first["cache"]["parsed"] == first["articles"]["read"] > 0
    assert b'"edited"' not in (out / "all.json").read_bytes()
    writer = code / "feedpub" / "render" / "jsonfeed.py"
    writer.write_text(writer.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    again = build(out, *cache)
    assert again["up_to_date"] is False
    assert again["cache"]["feeds_reused"] == 0
    written = tree(out)
    json_feeds = [name for name in written if name.endswith(".json")]
    assert "all.json" in json_feeds
    for name in json_feeds:
        assert written[name].startswith(b'{\n  "edited": "after the first build",\n'), name
    build(tmp_path / "full", "--no-cache")
    assert written == tree(tmp_path / "full")
    assert build(out, *cache).get("up_to_date") is True
