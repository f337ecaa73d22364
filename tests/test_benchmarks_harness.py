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
        run.make_row(10000, "cold", _m(1.0, 50), _m(4.0, 600), _m(6.0, 900)),
        run.make_row(10000, "edit", _m(1.0, 50), _m(4.0, 600)),
        run.make_row(10000, "nochange", _m(0.03, 200), _m(4.0, 600)),
        run.make_row(200000, "cold", _m(30.0, 70), None),
    ]
    lines = run.format_table(rows).splitlines()
    assert lines[0].startswith("| N | corpus | run | feedpub s | feedpub CPU s | hugo 0.111.3 s | hugo 0.168.0 s | ratio |")
    assert lines[2] == (
        "| 1,000 | 60 topics | no change | 0.200 | 0.000 | 0.300 |  | 0.667 |  | ≤ 0.01 | 20 | 20 | 100 |  | 0.20 (≤ 0.1) "
        "| no (time, memory) * |"
    )
    # The ratio is to Hugo 0.111.3; the one to 0.168.0 is shown beside it.
    assert lines[3].endswith(
        "| 1.000 | 0.000 | 4.000 | 6.000 | 0.250 | 0.167 | ≤ 0.3 | 50 | 50 | 600 | 900 | 0.08 (≤ 0.1) | yes |"
    )
    assert lines[4].endswith("| 0.250 |  | ≤ 0.05 | 50 | 50 | 600 |  | 0.08 (≤ 0.1) | no (time) |")
    assert lines[5].endswith("| 0.007 |  | ≤ 0.01 | 200 | 200 | 600 |  | 0.33 (≤ 0.1) | no (memory) |")
    assert lines[6].endswith("| 30.000 | 0.000 |  |  |  |  | ≤ 0.3 | 70 | 70 |  |  |  | no Hugo † |")
    text = "\n".join(lines)
    assert "not a target" in text and "feedpub only" in text


def test_scaling_check_compares_time_per_article_with_that_at_ten_thousand() -> None:
    rows = [
        run.make_row(1000, "cold", _m(1.0, 50), _m(0.3, 100)),  # start-up dominated: not the base
        run.make_row(10000, "cold", _m(2.0, 50), _m(3.0, 600)),
        run.make_row(200000, "cold", _m(47.2, 60), None),
    ]
    sc = run.scaling(rows)
    assert sc["smallest_n"] == 10000 and sc["largest_n"] == 200000
    assert sc["growth"] == pytest.approx(1.18)
    assert sc["met"]
    assert "1.18× that at N = 10,000 (target ≤ 1.20×): met" in run.format_scaling(sc)
    rows[2] = run.make_row(200000, "cold", _m(49.0, 60), None)
    assert not run.scaling(rows)["met"]
    # A many-topic corpus of the same N is not part of the scaling series.
    rows[2] = run.make_row(200000, "cold", _m(47.0, 60), None)
    rows.append(run.make_row(10000, "cold", _m(9.0, 50), _m(3.0, 600), corpus="5,000 topics"))
    assert run.scaling(rows)["met"]


def test_memory_check_wants_the_same_peak_at_twenty_times_the_files() -> None:
    rows = [
        run.make_row(1000, "cold", _m(1.0, 40), _m(0.3, 100)),
        run.make_row(10000, "cold", _m(2.0, 100), _m(3.0, 600)),
        run.make_row(200000, "cold", _m(40.0, 120), None),
        run.make_row(10000, "nochange", _m(0.1, 20), _m(3.0, 600)),
        run.make_row(200000, "nochange", _m(0.2, 30), None),
    ]
    mg = run.memory_growth(rows)
    assert mg["runs"]["cold"]["growth"] == pytest.approx(1.2) and mg["runs"]["cold"]["met"]
    assert not mg["runs"]["nochange"]["met"] and not mg["met"]  # 1.5× is growth, not flat
    text = run.format_memory(mg)
    assert "| cold | 40 MB | 100 MB | 120 MB | 1.20× from 10,000 to 200,000 | yes |" in text
    assert "| no change |  | 20 MB | 30 MB | 1.50× from 10,000 to 200,000 | no |" in text
    assert text.endswith("NOT met.")
    rows[-1] = run.make_row(200000, "nochange", _m(0.2, 24), None)
    assert run.memory_growth(rows)["met"]
    assert run.format_memory(run.memory_growth(rows[:1])).endswith("not measured (needs 10,000 and a larger N).")


def test_target_summary_names_every_target_and_misses_what_the_numbers_miss() -> None:
    rows = [
        run.make_row(10000, "cold", _m(1.0, 50), _m(4.0, 600)),
        run.make_row(10000, "edit", _m(0.1, 50), _m(4.0, 600)),
        run.make_row(10000, "nochange", _m(0.05, 20), _m(4.0, 600)),  # 0.0125 > 0.01
        run.make_row(50000, "cold", _m(5.0, 50), _m(20.0, 2800)),
        run.make_row(50000, "edit", _m(0.5, 50), _m(20.0, 2800)),
        run.make_row(50000, "nochange", _m(0.1, 20), _m(20.0, 2800)),
        run.make_row(200000, "cold", _m(20.0, 55), None),
        run.make_row(200000, "edit", _m(1.0, 50), None),
        run.make_row(200000, "nochange", _m(0.4, 21), None),
        run.make_row(10000, "edit", _m(0.2, 50), _m(5.0, 600), corpus="5,000 topics"),
    ]
    rows[-1]["feeds_affected"] = 40
    rows[-1]["feedpub"]["cache"] = {"feeds_rendered": 121}  # 40 feeds × 3 formats is the most
    summary = {t["target"]: t for t in run.target_summary(rows, run.scaling(rows), run.memory_growth(rows))}
    assert summary["cold ≤ 0.3 × Hugo 0.111.3"]["met"] is True
    assert summary["cold ≤ 0.3 × Hugo 0.111.3"]["figures"] == "0.250 at 10,000, 0.250 at 50,000"
    assert summary["no change ≤ 0.01 × Hugo 0.111.3"]["met"] is False
    assert summary["1% edit ≤ 0.05 × Hugo 0.111.3, 5,000 topics (the same ratio, applied here too)"]["met"] is True
    assert (
        summary["cold ≤ 0.3 × Hugo 0.111.3, 5,000 topics (the same ratio, applied here too)"]["met"] is None
    )  # not run: not claimed
    assert summary["memory flat from 10,000 to the largest N (≤ 1.25×)"]["met"] is True
    assert summary["time per article at the largest N within 20% of 10,000's"]["met"] is True
    renders = summary["5,000 topics: a 1% edit re-renders only the feeds of the edited articles"]
    assert renders["met"] is False and "121 feed files rendered" in renders["figures"]
    table = run.format_targets(list(summary.values()))
    assert "| no change ≤ 0.01 × Hugo 0.111.3 | 0.013 at 10,000, 0.005 at 50,000 | **missed** |" in table


def test_edited_topics_are_read_from_the_files_the_edit_changes(tmp_path: Path) -> None:
    for i in range(150):
        topics = "".join(f"  - Topic {i % 7}\n  - {name}\n" for name in (["AI"] if i else ["AI", "Node.js"]))
        (tmp_path / f"2020-01-01-story-{i:03d}.md").write_text(f"---\ntitle: t\ntopics:\n{topics}\nquality: 9\n---\n")
    assert run.edited_topics(tmp_path) == {"topic 0", "ai", "node.js", "topic 2"}  # files 000 and 100


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
