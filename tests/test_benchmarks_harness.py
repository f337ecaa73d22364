"""Tests for benchmarks/run.py: memory sampling of a process tree, the 1% edit, the table.

No timings are asserted here; the benchmark itself shows performance.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from benchmarks.run import Measurement

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = REPO.parent / "shared" / "bench"


def _load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


run = _load_run()

# A parent that forks two workers, each holding WORKER_MB of touched memory at once.
WORKER_MB = 64
FORKING_CHILD = textwrap.dedent(f"""
    import multiprocessing as mp
    def work(ready, release):
        block = b"\\x01" * ({WORKER_MB} << 20)  # bytes * n writes every page
        ready.set()
        release.wait(30)
    if __name__ == "__main__":
        ctx = mp.get_context("fork")
        ready = [ctx.Event() for _ in range(2)]
        release = ctx.Event()
        procs = [ctx.Process(target=work, args=(r, release)) for r in ready]
        for p in procs:
            p.start()
        for r in ready:
            r.wait(30)
        release.wait(1.0)  # both blocks are resident now; give the sampler time to see them
        release.set()
        for p in procs:
            p.join()
""")


def test_sampler_sums_memory_of_worker_processes(tmp_path: Path) -> None:
    m = run.measure([sys.executable, "-c", FORKING_CHILD], log_path=tmp_path / "child.log")
    assert m.returncode == 0
    assert m.max_procs >= 3  # the parent and both workers were seen together
    # Both workers' blocks at once (plus interpreters), not one worker's block.
    assert m.peak_tree_mb >= 2 * WORKER_MB * 0.9
    # The largest single process holds at least one block. (No upper bound: under load
    # a sample can catch a worker while its block is being built, briefly twice over.)
    assert m.peak_single_mb >= WORKER_MB * 0.9
    assert m.peak_tree_mb > m.peak_single_mb


def test_failing_command_reports_its_exit_status(tmp_path: Path) -> None:
    m = run.measure([sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"], log_path=tmp_path / "fail.log")
    assert m.returncode == 3
    assert (tmp_path / "fail.log").read_text() == "hi\n"


def _article(i: int, quality: int) -> str:
    return f'---\ncategory: news\ntitle: "Story {i}"\nexcerpt: "quality: 1"\nquality: {quality}\nheat: {quality}\n---\n\n'


def test_edit_one_percent_changes_every_hundredth_file(tmp_path: Path) -> None:
    for i in range(250):
        (tmp_path / f"2020-01-01-story-{i:03d}.md").write_text(_article(i, i % 151))
    assert run.edit_one_percent(tmp_path) == 3
    changed = sorted(p.name for p in tmp_path.iterdir() if "[upd1]" in p.read_text())
    assert changed == ["2020-01-01-story-000.md", "2020-01-01-story-100.md", "2020-01-01-story-200.md"]
    text = (tmp_path / "2020-01-01-story-100.md").read_text()
    assert 'title: "[upd1] Story 100"\n' in text
    assert "\nquality: 150\n" in text  # (100 + 50) % 151
    assert 'excerpt: "quality: 1"' in text  # only the field at the start of a line
    assert "\nheat: 100\n" in text
    assert (tmp_path / "2020-01-01-story-101.md").read_text() == _article(101, 101)


@pytest.mark.corpus
def test_limits_match_the_hugo_template() -> None:
    if not SHARED_BENCH.exists():
        pytest.skip("../shared/bench beside the repository is absent")
    assert run.template_limits(SHARED_BENCH / "hugo_site") == (50, 20)


def _m(wall: float, mb: float) -> Measurement:
    return run.Measurement(
        wall_s=wall, peak_tree_mb=mb, peak_single_mb=mb, max_procs=1, user_s=0.0, sys_s=0.0, returncode=0, samples=1
    )


def test_table_marks_missed_targets_and_rows_that_are_not_targets() -> None:
    rows = [
        run.make_row(1000, "nochange", _m(0.2, 20), _m(0.3, 100)),
        run.make_row(10000, "cold", _m(2.0, 100), _m(4.0, 600)),
        run.make_row(10000, "edit", _m(1.0, 100), _m(4.0, 600)),
        run.make_row(10000, "nochange", _m(0.1, 200), _m(4.0, 600)),
    ]
    lines = run.format_table(rows).splitlines()
    assert lines[0].startswith("| N | run | feedpub s | hugo s | ratio | target |")
    assert lines[2] == ("| 1,000 | no change | 0.200 | 0.300 | 0.667 | ≤ 0.05 | 20 | 20 | 100 | 0.20 (≤ 0.25) | no (time) * |")
    assert lines[3].endswith("| 0.500 | ≤ 1.0 | 100 | 100 | 600 | 0.17 (≤ 0.25) | yes |")
    assert lines[4].endswith("| 0.250 | ≤ 0.15 | 100 | 100 | 600 | 0.17 (≤ 0.25) | no (time) |")
    assert lines[5].endswith("| 0.025 | ≤ 0.05 | 200 | 200 | 600 | 0.33 (≤ 0.25) | no (memory) |")
    assert "not a target" in lines[-1]


def test_scaling_check_compares_time_per_article() -> None:
    rows = [run.make_row(1000, "cold", _m(1.0, 50), _m(0.3, 100)), run.make_row(50000, "cold", _m(59.0, 60), _m(35.0, 2800))]
    sc = run.scaling(rows)
    assert sc["growth"] == pytest.approx(1.18)
    assert sc["met"]
    assert "1.18× that at N = 1,000 (target ≤ 1.20×): met" in run.format_scaling(sc)
    rows[1] = run.make_row(50000, "cold", _m(61.0, 60), _m(35.0, 2800))
    assert not run.scaling(rows)["met"]


def test_memory_check_wants_the_same_peak_at_five_times_the_files() -> None:
    rows = [
        run.make_row(1000, "cold", _m(1.0, 40), _m(0.3, 100)),
        run.make_row(10000, "cold", _m(2.0, 100), _m(3.0, 600)),
        run.make_row(50000, "cold", _m(8.0, 120), _m(20.0, 2800)),
        run.make_row(10000, "nochange", _m(0.1, 20), _m(3.0, 600)),
        run.make_row(50000, "nochange", _m(0.2, 30), _m(20.0, 2800)),
    ]
    mg = run.memory_growth(rows)
    assert mg["runs"]["cold"]["growth"] == pytest.approx(1.2) and mg["runs"]["cold"]["met"]
    assert not mg["runs"]["nochange"]["met"] and not mg["met"]  # 1.5× is growth, not flat
    text = run.format_memory(mg)
    assert "| cold | 40 MB | 100 MB | 120 MB | 1.20× from 10,000 to 50,000 | yes |" in text
    assert "| no change |  | 20 MB | 30 MB | 1.50× from 10,000 to 50,000 | no |" in text
    assert text.endswith("NOT met.")
    rows[-1] = run.make_row(50000, "nochange", _m(0.2, 24), _m(20.0, 2800))
    assert run.memory_growth(rows)["met"]


def test_the_harness_own_memory_never_counts(tmp_path: Path) -> None:
    """A child runs in a copy of the harness until it execs: that is not the command's size."""
    ballast = bytearray(300 << 20)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1  # resident
    try:
        m = run.measure([sys.executable, "-c", "import time; time.sleep(0.2)"], log_path=tmp_path / "small.log")
    finally:
        del ballast
    assert m.returncode == 0
    assert m.peak_single_mb < 100 and m.peak_tree_mb < 100  # an interpreter, not 300 MB
