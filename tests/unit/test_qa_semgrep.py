"""shared.qa.semgrep on small hand-written semgrep reports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.qa.semgrep import Finding, blocking, findings, parse


def result(
    check_id: str = "shared.qa.python-eval-exec-dynamic",
    path: str = "app/calc.py",
    line: int = 7,
    severity: str = "ERROR",
    message: str = "eval() on a value that is not a literal.",
) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "path": path,
        "start": {"line": line, "col": 5, "offset": 80},
        "end": {"line": line, "col": 20, "offset": 95},
        "extra": {"message": message, "severity": severity, "metadata": {}, "lines": ""},
    }


def report(*results: dict[str, Any], errors: list[Any] | None = None) -> str:
    return json.dumps(
        {"version": "1.182.0", "results": list(results), "errors": errors or [], "paths": {}}
    )


def test_one_line_per_finding_with_the_bare_rule_id() -> None:
    text = report(result(), result(check_id="js-eval-dynamic", path="web/a.js", line=3))
    assert findings(text) == [
        "app/calc.py:7 python-eval-exec-dynamic: eval() on a value that is not a literal.",
        "web/a.js:3 js-eval-dynamic: eval() on a value that is not a literal.",
    ]


def test_prefix_from_an_absolute_rules_path_is_dropped() -> None:
    text = report(result(check_id="work.main.shared.qa.python-tempfile-mktemp"))
    assert findings(text)[0].split(" ")[1] == "python-tempfile-mktemp:"


def test_multi_line_messages_are_folded_into_one_line() -> None:
    text = report(result(message="first line\n  second   line\n"))
    assert findings(text) == ["app/calc.py:7 python-eval-exec-dynamic: first line second line"]


def test_findings_are_ordered_by_path_line_and_rule() -> None:
    text = report(
        result(path="b.py", line=1),
        result(path="a.py", line=9, check_id="z-rule"),
        result(path="a.py", line=9, check_id="a-rule"),
        result(path="a.py", line=2),
    )
    assert [f.split(" ")[0] + " " + f.split(" ")[1] for f in findings(text)] == [
        "a.py:2 python-eval-exec-dynamic:",
        "a.py:9 a-rule:",
        "a.py:9 z-rule:",
        "b.py:1 python-eval-exec-dynamic:",
    ]


def test_no_results_means_no_findings_and_no_block() -> None:
    assert findings(report()) == []
    assert blocking(report()) is False


def test_error_severity_blocks() -> None:
    assert blocking(report(result(severity="WARNING"), result(severity="ERROR"))) is True


def test_warnings_and_info_do_not_block() -> None:
    assert blocking(report(result(severity="WARNING"), result(severity="INFO"))) is False


@pytest.mark.parametrize("severity", ["CRITICAL", "HIGH", "error"])
def test_newer_and_lower_case_high_severities_block(severity: str) -> None:
    assert blocking(report(result(severity=severity))) is True


def test_parse_keeps_severity_and_fields() -> None:
    (finding,) = parse(report(result(severity="WARNING")))
    assert finding == Finding(
        path="app/calc.py",
        line=7,
        rule="python-eval-exec-dynamic",
        severity="WARNING",
        message="eval() on a value that is not a literal.",
    )
    assert not finding.blocks


def test_partial_parse_warnings_are_not_failures() -> None:
    warn = {"code": 3, "level": "warn", "type": ["PartialParsing", []], "message": "Syntax error"}
    assert findings(report(result(), errors=[warn])) == [
        "app/calc.py:7 python-eval-exec-dynamic: eval() on a value that is not a literal."
    ]


def test_a_failed_scan_raises_rather_than_reading_as_clean() -> None:
    error = {"code": 2, "level": "error", "type": "Rule parse error", "message": "Invalid\npattern"}
    with pytest.raises(ValueError, match=r"semgrep failed: Invalid pattern"):
        blocking(report(errors=[error]))
    with pytest.raises(ValueError, match=r"\(and 1 more\)"):
        findings(report(errors=[error, error]))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not JSON"),
        ("semgrep: command not found", "not JSON"),
        ('{"results": [', "not JSON"),
        ("[]", "not a JSON object"),
        ('{"errors": []}', 'no "results" list'),
        ('{"results": {}}', 'no "results" list'),
        ('{"results": [], "errors": "boom"}', 'malformed "errors"'),
        ('{"results": [{"path": "a.py"}]}', "result 0 lacks"),
        ('{"results": ["a.py:1"]}', "result 0 lacks"),
    ],
)
def test_unparseable_output_raises_a_clear_value_error(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        findings(text)
    with pytest.raises(ValueError, match=reason):
        blocking(text)


def test_fields_of_the_wrong_type_raise() -> None:
    bad = result()
    bad["start"]["line"] = "7"
    with pytest.raises(ValueError, match="wrong type"):
        findings(report(bad))
