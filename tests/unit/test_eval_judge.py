"""How the judge reads a test run: only a reported pass counts; a test whose subtests failed,
one deselected or missing from the report, or one that errored in set-up has failed."""

from __future__ import annotations

from shared.evaluation.judge import statuses
from shared.evaluation.report import classify, summary


def test_only_a_reported_pass_counts() -> None:
    report: dict[str, dict[str, object]] = {
        "t.py::ok": {"setup": "passed", "call": "passed", "teardown": "passed"},
        "t.py::sub": {"setup": "passed", "call": "passed", "subtests_failed": 1},
        "t.py::fails": {"setup": "passed", "call": "failed"},
        "t.py::setup": {"setup": "failed"},
        "t.py::skipped": {"setup": "passed", "call": "skipped"},
        "t.py::xfail": {"setup": "passed", "call": "skipped", "xfail": True},
    }
    got = statuses(report, [*report, "t.py::missing"])
    assert got == {
        "t.py::ok": "passed",
        "t.py::sub": "failed (subtests)",
        "t.py::fails": "failed",
        "t.py::setup": "error",
        "t.py::skipped": "skipped",
        "t.py::xfail": "xfailed",
        "t.py::missing": "missing",
    }


def test_the_class_of_an_unresolved_task() -> None:
    common = {"reason": "", "qa_findings": [], "judged_class": None, "gold_match": None}
    notes = [("output limits", "a.py: cut")]
    assert classify(end_event="job.failed", service="qa", oracle_notes=notes, **common) == (
        "output limits"
    )
    assert classify(end_event="job.failed", service="publisher", oracle_notes=[], **common) == (
        "publishing"
    )
    qa = {**common, "reason": "QA still failing after 3 round(s)"}
    assert classify(end_event="job.failed", service="conductor", oracle_notes=[], **qa) == "QA"
    env = {**qa, "qa_findings": ["tests: E   ModuleNotFoundError: No module named 'x'"]}
    assert classify(end_event="job.failed", service="conductor", oracle_notes=[], **env) == (
        "environment"
    )
    gold = {**common, "gold_match": True}
    assert classify(end_event="pr.opened", service=None, oracle_notes=[], **gold) == "environment"
    off = {**common, "gold_match": False}
    assert classify(end_event="pr.opened", service=None, oracle_notes=[], **off) == "tool limits"


def test_the_report_has_swe_benchs_shape() -> None:
    rows = [
        {"instance_id": "a", "resolved": True},
        {"instance_id": "b", "resolved": False, "failure_class": "QA"},
        {"instance_id": "c", "resolved": False, "error": "unknown repository"},
    ]
    got = summary(rows, total=3)
    assert (got["resolved_ids"], got["unresolved_ids"], got["error_ids"]) == (["a"], ["b"], ["c"])
    assert (got["completed_instances"], got["failure_classes"]) == (2, {"QA": 1})


def test_the_same_change_leaves_aside_the_tests_the_fix_came_with() -> None:
    from shared.evaluation.report import same_change

    gold = "--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    tests = "--- a/test_calc.py\n+++ b/test_calc.py\n@@ -1 +1,2 @@\n a = 1\n+b = 2\n"
    assert same_change(gold + tests, gold, tests) is True
    assert same_change(gold + tests, gold) is False  # without the test patch: more than gold
    other = gold.replace("+x = 2", "+x = 3")
    assert same_change(other + tests, gold, tests) is False
    assert same_change("--- a/x\n+++ b/x\n@@ -1 +1 @@\n", gold) is None
