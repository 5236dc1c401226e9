from __future__ import annotations

import json

import pytest

from services.qa.gates import Gate, findings, judge

TESTS = Gate("tests", "run_tests", {})
SEMGREP = Gate("semgrep", "run_semgrep", {})
SECRETS = Gate("secrets", "scan_secrets", {})


def test_tests_pass_only_on_exit_code_zero() -> None:
    assert judge(TESTS, True, "$ pytest -q\n[exit code 0, 0.4s]\n3 passed").passed
    failed = judge(TESTS, True, "$ pytest -q\n[exit code 1, 0.4s]\n1 failed, 2 passed")
    assert not failed.passed and "1 failed" in failed.detail
    assert not judge(TESTS, True, "[timed out (killed), 600.0s]\n...").passed
    assert not judge(TESTS, True, "the tool printed no status at all").passed
    assert not judge(TESTS, False, "refused: step already executed").passed


def _report(results: list[dict[str, object]], errors: list[dict[str, object]] | None = None) -> str:
    return json.dumps({"results": results, "errors": errors or []})


def test_semgrep_blocks_on_errors_only() -> None:
    warn = {"check_id": "x.python-broad-except-pass", "path": "a.py", "start": {"line": 3},
            "extra": {"severity": "WARNING", "message": "swallowed"}}  # fmt: skip
    err = {
        **warn,
        "check_id": "x.python-eval-exec-dynamic",
        "extra": {"severity": "ERROR", "message": "eval"},
    }
    assert judge(SEMGREP, True, f"[exit code 0, 1.0s]\n{_report([warn])}").passed
    blocked = judge(SEMGREP, True, f"[exit code 1, 1.0s]\n{_report([err])}")
    assert not blocked.passed and "python-eval-exec-dynamic" in blocked.detail


@pytest.mark.parametrize(
    "out", ["[exit code 2, 1.0s]\nCalled from Dune__exe__Main", "[exit code 0, 1s]\n"]
)
def test_a_semgrep_that_did_not_run_fails_the_gate(out: str) -> None:
    assert not judge(SEMGREP, True, out).passed


def test_secrets_gate() -> None:
    assert judge(SECRETS, True, "no secrets found").passed
    bad = judge(SECRETS, True, "app.py:3: stripe sk_live_***")
    assert not bad.passed
    assert findings([bad]) == ["secrets: app.py:3: stripe sk_live_***"]


def test_a_repository_without_tests_is_told_plainly() -> None:
    from services.qa.gates import NO_TESTS

    refused = "Error executing tool run_tests: no test command found (no Python tests, ...)"
    result = judge(TESTS, False, refused)
    assert not result.passed and result.detail == NO_TESTS
    assert findings([result]) == [f"tests: {NO_TESTS}"]
