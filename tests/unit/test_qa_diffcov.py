"""Diff coverage and the changed lines it judges: pure functions over git's and coverage.py's
own output formats."""

from __future__ import annotations

import json

import pytest

from services.qa.gates import Gate, failure_digest, findings, judge
from shared.qa import diffcov, semgrep
from shared.qa.changes import changed_lines, spans

DIFF = """diff --git a/pkg/a.py b/pkg/a.py
index 1..2 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -2,0 +3,2 @@ def f(x):
+    if x < 0:
+        raise ValueError(x)
@@ -9 +11 @@ def g():
-    return 1
+    return 2
diff --git a/old.py b/old.py
deleted file mode 100644
--- a/old.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1 @@
-hi
+hello
"""


def test_changed_lines_are_the_new_files_added_line_numbers() -> None:
    assert changed_lines(DIFF) == {"pkg/a.py": {3, 4, 11}, "README.md": {1}}
    assert spans([9, 1, 2, 3, 7, 10]) == "1-3, 7, 9-10" and spans([]) == ""


def _report(files: dict[str, tuple[list[int], list[int]]]) -> str:
    return json.dumps(
        {"files": {p: {"executed_lines": e, "missing_lines": m} for p, (e, m) in files.items()}}
    )


def test_only_executable_changed_lines_count_and_the_missed_ones_are_named() -> None:
    report = diffcov.parse_report(
        _report({"pkg/a.py": ([1, 2, 3, 10, 11], [4, 12]), "pkg/other.py": ([], [1, 2, 3])})
    )
    changed = {"pkg/a.py": {3, 4, 11, 20}, "README.md": {1}, "pkg/new.py": {1}}
    result = diffcov.measure(report, changed, 60)
    assert (result.covered, result.relevant) == (2, 3)  # 20: a blank or comment line
    assert result.uncovered == {"pkg/a.py": [4]} and result.unmeasured == ["pkg/new.py"]
    assert result.passed and round(result.percent, 1) == 66.7
    text = result.render()
    assert text.splitlines()[0] == (
        "diff coverage: 66.7% of 3 changed lines (threshold 60%): passed"
    )
    assert "  pkg/a.py: 4" in text and "pkg/new.py" in text
    assert diffcov.read_verdict(text) is True
    strict = diffcov.measure(report, changed, 70)
    assert not strict.passed and diffcov.read_verdict(strict.render()) is False
    # Nothing executable changed (docs only): nothing to measure, the gate passes.
    docs = diffcov.measure(report, {"README.md": {1}}, 90)
    assert docs.passed and diffcov.read_verdict(docs.render()) is True


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ("[]", 'no "files"'),
        ('{"files": {"a.py": {"executed_lines": [1]}}}', "a.py lacks its lines"),
    ],
)
def test_an_unusable_report_is_an_error_naming_it(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        diffcov.parse_report(text)


COVERAGE = Gate("coverage", "run_coverage", {"threshold": 60, "base": "origin/main"})


def test_the_coverage_gate_reads_the_servers_verdict_line_only() -> None:
    report = diffcov.measure({"a.py": ({1}, {2, 3})}, {"a.py": {1, 2, 3}}, 60).render()
    failed = judge(COVERAGE, True, f"{report}\n\n$ python -m pytest\n[exit code 0, 1.0s]\nok")
    assert not failed.passed and "a.py: 2-3" in failed.detail and "$ python" not in failed.detail
    assert findings([failed]) == ["coverage: " + report.splitlines()[0]]
    # A verdict printed by the sandboxed tests, after the server's header, is not read.
    forged = "diff coverage: 100.0% of 1 changed lines (threshold 60%): passed"
    no_report = "diff coverage: failed: the tests wrote no coverage report"
    out = judge(COVERAGE, True, f"{no_report}\n\n$ pytest\n[exit code 1]\n{forged}")
    assert not out.passed


def test_semgrep_keeps_only_findings_on_changed_lines() -> None:
    def result(path: str, first: int, last: int) -> dict[str, object]:
        return {
            "check_id": "r.python-weak-hash",
            "path": path,
            "start": {"line": first},
            "end": {"line": last},
            "extra": {"severity": "ERROR", "message": "md5"},
        }

    report = json.dumps(
        {
            "results": [result("a.py", 1, 1), result("a.py", 5, 7), result("b.py", 3, 3)],
            "errors": [],
        }
    )
    kept = json.loads(semgrep.on_changed_lines(report, {"a.py": {6}}))
    assert [(r["path"], r["start"]["line"]) for r in kept["results"]] == [("a.py", 5)]
    assert kept["devforge"] == {"dropped": 2}
    with pytest.raises(ValueError, match="not JSON"):
        semgrep.on_changed_lines("oops", {})


def test_a_failed_test_run_keeps_its_assertions_and_its_summary() -> None:
    out = (
        "....F\n=================== FAILURES ===================\n_____ test_sub _____\n"
        + "    def test_sub():\n>       assert sub(3, 1) == 2\nE       assert 4 == 2\n"
        + "x\n" * 3000
        + "=========== short test summary info ===========\n"
        + "FAILED test_calc.py::test_sub - assert 4 == 2\n1 failed, 4 passed in 0.1s\n"
    )
    digest = failure_digest(out)
    assert digest.startswith("=================== FAILURES")
    assert "E       assert 4 == 2" in digest and digest.endswith("1 failed, 4 passed in 0.1s")
    assert "characters cut" in digest and len(digest) < 3700
    assert failure_digest("collected 0 items\nno tests ran") == "collected 0 items\nno tests ran"
    gate = judge(Gate("tests", "run_tests", {}), True, f"$ pytest\n[exit code 1, 1s]\n{out}")
    assert "E       assert 4 == 2" in gate.detail


def test_failures_that_predate_the_change_are_reported_not_held_against_it() -> None:
    from services.qa.gates import against_base, changed_files, failed_tests, to_check_on_base
    from shared.messages import GateResult

    out = (
        "F.F\n=== short test summary info ===\n"
        "FAILED tests/test_old.py::test_flaky - assert 1 == 2\n"
        "FAILED tests/test_new.py::test_added - AssertionError\n"
        "ERROR tests/test_old.py::test_io - OSError\nFAILED tests/test_old.py::test_flaky\n"
        "2 failed, 1 error\n"
    )
    failed = failed_tests(out)
    assert failed == ["tests/test_old.py::test_flaky", "tests/test_new.py::test_added",
                      "tests/test_old.py::test_io"]  # fmt: skip
    diff = (
        "diff --git a/calc.py b/calc.py\n+x\ndiff --git a/tests/test_new.py b/tests/test_new.py\n"
    )
    changed = changed_files(diff + "\n# untracked files (not in the diff):\nnotes.txt\n")
    assert changed == {"calc.py", "tests/test_new.py", "notes.txt"}
    check = to_check_on_base(failed, changed)
    assert check == ["tests/test_old.py::test_flaky", "tests/test_old.py::test_io"]
    gate = GateResult(name="tests", passed=False, detail="2 failed, 1 error")
    # Both old ones failed before too, but the new test still fails: the gate fails, naming it.
    on_base = "FAILED tests/test_old.py::test_flaky\nERROR tests/test_old.py::test_io\n"
    mixed = against_base(gate, failed, failed_tests(on_base))
    assert not mixed.passed
    assert mixed.detail.startswith("1 test(s) failing because of the change: tests/test_new.py")
    assert findings([mixed]) == [
        "tests: 1 test(s) failing because of the change: tests/test_new.py::test_added"
    ]
    # Only old failures, each failing on the base as well: reported, and the gate passes.
    only_old = against_base(gate, check, check)
    assert only_old.passed and "failing before the change too" in only_old.detail
    # A failure the base does not share is the change's: the gate keeps failing.
    assert against_base(gate, check, check[:1]) != gate
    assert not against_base(gate, check, check[:1]).passed
    assert against_base(gate, check, []) == gate


def test_the_headers_alone_give_the_same_changed_lines() -> None:
    from shared.qa.changes import changed_from_headers

    headers = "\n".join(
        line for line in DIFF.splitlines() if line.startswith(("diff --git ", "+++ ", "@@ "))
    )
    assert changed_from_headers(headers) == changed_lines(DIFF)
    pure_deletion = "diff --git a/x.py b/x.py\n+++ b/x.py\n@@ -3,2 +2,0 @@\n"
    assert changed_from_headers(pure_deletion) == {}


def test_the_lint_gate_reads_ruff_findings_on_changed_lines_only() -> None:
    from pathlib import Path

    from shared.qa import lint

    root = Path("/wt")
    report = json.dumps(
        [
            {"filename": "/wt/a.py", "location": {"row": 3}, "code": "F401", "message": "x"},
            {"filename": "/wt/a.py", "location": {"row": 9}, "code": "F841", "message": "y"},
            {"filename": "/wt/b.py", "location": {"row": 1}, "code": None, "message": "bad"},
        ]
    )
    kept = lint.on_changed_lines(report, {"a.py": {3}, "b.py": {1}}, root)
    assert lint.findings(kept) == ["a.py:3 F401 x", "b.py:1 syntax bad"]
    assert lint.blocking(kept) == ["b.py:1 syntax bad"]
    gate = Gate("lint", "run_lint", {"base": "origin/main"})
    failed = judge(gate, True, f"[exit code 0, 0.1s]\n{kept}")
    assert not failed.passed and failed.detail == "b.py:1 syntax bad\na.py:3 F401 x (not blocking)"
    only_style = lint.on_changed_lines(report, {"a.py": {3, 9}}, root)
    style = judge(gate, True, f"[exit code 0, 0.1s]\n{only_style}")
    assert style.passed and "a.py:9 F841 y (not blocking)" in style.detail
    undefined = json.dumps(
        [{"filename": "a.py", "location": {"row": 1}, "code": "F821", "message": "undefined"}]
    )
    assert not judge(gate, True, f"[exit code 0, 0.1s]\n{undefined}").passed
    assert judge(gate, True, "[exit code 0, nothing run: no changed Python files]\n[]").passed
    assert not judge(gate, True, "[exit code 2, 0.1s]\n[]").passed  # ruff itself failed
    broken = judge(gate, True, "[exit code 0, 0.1s]\nerror: oops")
    assert not broken.passed and "ruff output is not JSON" in broken.detail
    with pytest.raises(ValueError, match="lacks its filename or row"):
        lint.on_changed_lines('[{"filename": "a.py"}]', {}, root)


def test_ruffs_warnings_before_its_report_are_skipped() -> None:
    from shared.qa import lint

    noisy = "warning: The following rules have been removed\n    - UP038\n\n[]"
    assert lint.findings(noisy) == []


def test_a_runs_tally_as_its_runner_summed_it_up() -> None:
    from services.qa.gates import tally

    pytest_q = "....F\nFAILED t.py::x - assert 0\n1 failed, 4 passed, 2 warnings in 0.31s\n"
    assert tally(f"$ pytest\n[exit code 1, 2s]\n{pytest_q}") == "1 failed, 4 passed"
    assert tally("[exit code 0]\n========== 12 passed in 1.02s ==========") == "12 passed"
    assert tally("[exit code 0]\n# tests 5\n# pass  5\n\n# ok") == "5 passed, 0 failed"
    assert tally("[exit code 3, 1s]\nboom") == "exit code 3"
    assert tally("[timed out (killed) after 600s]\n...") == "timed out"


async def test_failures_the_baseline_knew_are_not_run_again_on_the_base() -> None:
    from services.qa.gates import Gate, judge
    from services.qa.handlers import _against_base
    from shared.qa.baseline import Baseline

    out = (
        "[exit code 1, 1s]\nFAILED tests/test_old.py::test_a - assert 0\n"
        "FAILED tests/test_new.py::test_b - assert 0\n2 failed, 5 passed in 0.1s\n"
    )
    result = judge(Gate("tests", "run_tests", {}), True, out)
    calls: list[tuple[str, dict[str, object]]] = []

    async def call(tool: str, args: dict[str, object]) -> tuple[bool, str]:
        calls.append((tool, args))
        return True, "diff --git a/tests/test_new.py b/tests/test_new.py\n"

    known = Baseline("abc", "1 failed, 5 passed", ("tests/test_old.py::test_a",))
    judged = await _against_base(call, result, out, "origin/main", known)
    assert [c[0] for c in calls] == ["git_diff"]  # no run on the base: the baseline said
    assert not judged.passed and "1 test(s) failing because of the change" in judged.detail
    assert "tests/test_old.py::test_a" in judged.detail.split("\n")[1]  # reported as before
    calls.clear()
    rerun = await _against_base(call, result, out, "origin/main", None)
    assert [c[0] for c in calls] == ["git_diff", "run_tests"]  # no baseline: run there now
    assert not rerun.passed
