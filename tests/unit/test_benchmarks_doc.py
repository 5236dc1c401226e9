"""docs/benchmarks.md is generated from bench/results/*.json, nothing else: the committed page
is exactly what the JSON renders to, and every result names the commit it measured."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import run as bench_run

COMMIT = re.compile(r"^[0-9a-f]{40}(-dirty)?$")


def test_committed_page_is_rendered_from_the_json() -> None:
    assert bench_run.DOC.read_text() == bench_run.render(), "stale: python -m bench.run --render"


def test_every_result_records_its_commit_and_is_a_known_benchmark() -> None:
    results = sorted(bench_run.RESULTS.glob("*.json"))
    assert results
    for path in results:
        rec = json.loads(path.read_text())
        assert rec["bench"] == path.stem and path.stem in bench_run.BENCHES
        assert COMMIT.match(rec["commit"]), (path.name, rec["commit"])
        assert f"Commit `{rec['commit']}`" in bench_run.DOC.read_text()


def test_notes_become_prose_and_rows_of_records_become_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench_run, "RESULTS", tmp_path)
    machine = {"cpus": 2, "memory_gb": 1.0, "python": "3.11", "platform": "x"}
    record = {
        "bench": "scale",
        "title": "t",
        "commit": "a" * 40,
        "date": "2026-11-24",
        "machine": machine,
        "figures": {
            "notes": "Loaded machine.",
            "runs": [{"wall_s": 1.5}, {"wall_s": 2.5}],
            "p99": [1.0, 2.0],
        },
    }
    (tmp_path / "scale.json").write_text(json.dumps(record))
    page = bench_run.render()
    assert "\nLoaded machine.\n" in page and "| notes |" not in page
    assert "| runs.0.wall_s | 1.5 |" in page and "| runs.1.wall_s | 2.5 |" in page
    assert "| p99 | [1.0, 2.0] |" in page
    assert "Commit `" + "a" * 40 + "`" in page


def test_a_previous_run_stands_beside_each_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench_run, "RESULTS", tmp_path)
    machine = {"cpus": 2, "memory_gb": 1.0, "python": "3.11", "platform": "x"}
    before = {"commit": "b" * 40, "date": "2026-12-01", "machine": machine}
    record = {
        "bench": "guard",
        "title": "t",
        "commit": "a" * 40,
        "date": "2026-12-06",
        "machine": machine,
        "figures": {"p99_ms": 8.1, "new_figure": 3},
        "previous": before | {"figures": {"p99_ms": 7.9, "gone": 1}},
    }
    (tmp_path / "guard.json").write_text(json.dumps(record))
    page = bench_run.render()
    assert "Previous run, beside each figure: Commit `" + "b" * 40 + "`" in page
    assert "| figure | value | previous run |" in page
    assert "| p99_ms | 8.1 | 7.9 |" in page and "| new_figure | 3 |  |" in page
    assert "gone" not in page
