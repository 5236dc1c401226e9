"""Semgrep's JSON report (``semgrep scan --json``) as the QA gate reads it.

``findings`` turns a report into one line per finding, ``path:line rule-id: message``;
``blocking`` says whether any finding must stop the job: severity ERROR blocks, WARNING and INFO
do not (semgrep's newer CRITICAL and HIGH levels count as ERROR).

Semgrep prefixes a local rule's id with its rules file's folder, relative to the working
directory (``shared.qa.python-eval-exec-dynamic``), so a finding names the rule by the last
dotted part: the id as written in shared/qa/semgrep.yml.

A report that cannot be read, or in which semgrep says it failed (an error of level "error", such
as a rules file it could not parse), raises ValueError: a scan that did not run must not read as
a clean one. Errors of level "warn" (a file it could only partly parse) are not failures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

BLOCKING_SEVERITIES = frozenset({"ERROR", "CRITICAL", "HIGH"})


@dataclass(frozen=True)
class Finding:
    """One semgrep result."""

    path: str
    line: int
    rule: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.rule}: {self.message}"

    @property
    def blocks(self) -> bool:
        return self.severity in BLOCKING_SEVERITIES


def parse(report_json: str) -> list[Finding]:
    """The report's findings, ordered by path, line and rule; ValueError if it is unusable."""
    try:
        report = json.loads(report_json)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"semgrep output is not JSON: {exc}") from None
    if not isinstance(report, dict):
        raise ValueError("semgrep output is not a JSON object")
    _raise_on_failure(report.get("errors", []))
    results = report.get("results")
    if not isinstance(results, list):
        raise ValueError('semgrep output has no "results" list')
    out = [_finding(i, r) for i, r in enumerate(results)]
    return sorted(out, key=lambda f: (f.path, f.line, f.rule))


def findings(report_json: str) -> list[str]:
    """One line per finding: ``path:line rule-id: message``."""
    return [str(f) for f in parse(report_json)]


def blocking(report_json: str) -> bool:
    """True when any finding has severity ERROR; WARNING findings do not block."""
    return any(f.blocks for f in parse(report_json))


def _raise_on_failure(errors: Any) -> None:
    if not isinstance(errors, list):
        raise ValueError('semgrep output has a malformed "errors" field')
    failed = [e for e in errors if not isinstance(e, dict) or e.get("level") == "error"]
    if failed:
        first = failed[0]
        text = (first.get("message") or first.get("type")) if isinstance(first, dict) else first
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise ValueError(f"semgrep failed: {_one_line(str(text))}{more}")


def _finding(index: int, result: Any) -> Finding:
    try:
        check_id = result["check_id"]
        path = result["path"]
        line = result["start"]["line"]
        extra = result["extra"]
        severity = extra["severity"]
        message = extra["message"]
    except (KeyError, TypeError):
        raise ValueError(f"semgrep result {index} lacks check_id, path, line or message") from None
    fields = (check_id, path, severity, message)
    if not all(isinstance(v, str) for v in fields) or type(line) is not int:
        raise ValueError(f"semgrep result {index} has fields of the wrong type")
    return Finding(
        path=path,
        line=line,
        rule=check_id.rsplit(".", 1)[-1],
        severity=severity.upper(),
        message=_one_line(message),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def on_changed_lines(report_json: str, changed: dict[str, set[int]]) -> str:
    """The report with only the results whose lines touch ``changed`` (path -> line numbers):
    semgrep's own baseline idea, what the change brings rather than what the repository had.
    Errors are kept; ``devforge.dropped`` counts the findings on unchanged code."""
    try:
        report = json.loads(report_json)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"semgrep output is not JSON: {exc}") from None
    if not isinstance(report, dict) or not isinstance(report.get("results"), list):
        raise ValueError('semgrep output has no "results" list')
    kept: list[Any] = []
    for result in report["results"]:
        try:
            path = str(result["path"]).removeprefix("./")
            first, last = int(result["start"]["line"]), int(result["end"]["line"])
        except (KeyError, TypeError, ValueError):
            kept.append(result)  # parse() names a malformed result; never drop it silently
            continue
        if any(n in changed.get(path, ()) for n in range(first, last + 1)):
            kept.append(result)
    dropped = len(report["results"]) - len(kept)
    return json.dumps({**report, "results": kept, "devforge": {"dropped": dropped}})
