"""The PR body's gate lines: figures before -> after where QA has them."""

from __future__ import annotations

from shared.forge.body import _gate_line


def test_the_tests_gate_shows_its_tally_before_and_after() -> None:
    g = {"name": "tests", "passed": True, "detail": "", "before": "3 passed", "after": "4 passed"}
    assert _gate_line(g) == "- ✅ tests: 3 passed -> 4 passed"
    note = "1 test(s) failing before the change too (not caused by it): t.py::a"
    old = {**g, "before": "1 failed, 3 passed", "after": "1 failed, 4 passed", "detail": note}
    assert _gate_line(old) == f"- ✅ tests: 1 failed, 3 passed -> 1 failed, 4 passed; {note}"
    assert _gate_line({**g, "before": ""}) == "- ✅ tests: not measured -> 4 passed"


def test_gates_without_figures_say_what_they_judged_or_nothing() -> None:
    cov = {"name": "coverage", "passed": False, "detail": "diff coverage: 50% of 4 lines\nx"}
    assert _gate_line(cov) == "- ❌ coverage: diff coverage: 50% of 4 lines"
    assert _gate_line({"name": "lint", "passed": True, "detail": "ok"}) == "- ✅ lint"
