"""Diff coverage: how many of the lines a change added are run by the tests. Pure.

Reads coverage.py's JSON report (``--cov-report=json``: per file ``executed_lines`` and
``missing_lines``, paths relative to the worktree) and the change's added lines
(``shared.qa.changes.changed_lines``). Only executable lines count: a changed comment, blank line
or docstring is neither covered nor missed. A changed Python file the report does not list was
never measured (outside the coverage source, or not Python): it is left out and named.

The verdict's first line is what QA's coverage gate reads::

    diff coverage: 75.0% of 8 changed lines (threshold 60%): failed
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.qa.changes import spans

__all__ = ["DiffCoverage", "measure", "parse_report", "read_verdict"]

_VERDICT = re.compile(
    r"^diff coverage: (?:(?P<pct>\d+(?:\.\d+)?)% of (?P<n>\d+) changed lines|no changed lines to "
    r"measure|not measured) \(threshold (?P<t>\d+(?:\.\d+)?)%\): (?P<ok>passed|failed)$"
)


@dataclass(frozen=True)
class DiffCoverage:
    threshold: float
    covered: int = 0
    relevant: int = 0
    uncovered: dict[str, list[int]] = field(default_factory=dict)
    unmeasured: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 if self.relevant == 0 else 100.0 * self.covered / self.relevant

    @property
    def passed(self) -> bool:
        return self.relevant == 0 or self.percent >= self.threshold

    def render(self) -> str:
        verdict = "passed" if self.passed else "failed"
        if self.relevant == 0:
            head = f"diff coverage: no changed lines to measure (threshold {self.threshold:g}%)"
        else:
            head = (
                f"diff coverage: {self.percent:.1f}% of {self.relevant} changed lines "
                f"(threshold {self.threshold:g}%)"
            )
        out = [f"{head}: {verdict}"]
        if self.uncovered:
            out.append("changed lines no test runs:")
            out += [f"  {p}: {spans(lines)}" for p, lines in sorted(self.uncovered.items())]
        if self.unmeasured:
            not_measured = ", ".join(self.unmeasured)
            out.append(f"changed Python files coverage did not measure: {not_measured}")
        return "\n".join(out)


def parse_report(text: str) -> dict[str, tuple[set[int], set[int]]]:
    """Path -> (executed, missing) lines; ValueError naming what is wrong with the report."""
    try:
        report = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"the coverage report is not JSON: {exc}") from None
    files = report.get("files") if isinstance(report, dict) else None
    if not isinstance(files, dict):
        raise ValueError('the coverage report has no "files" object')
    out: dict[str, tuple[set[int], set[int]]] = {}
    for path, entry in files.items():
        try:
            executed = {int(n) for n in entry["executed_lines"]}
            missing = {int(n) for n in entry["missing_lines"]}
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"the coverage report's entry for {path} lacks its lines") from None
        out[path.removeprefix("./")] = (executed, missing)
    return out


def measure(
    report: Mapping[str, tuple[set[int], set[int]]],
    changed: Mapping[str, set[int]],
    threshold: float,
) -> DiffCoverage:
    covered = relevant = 0
    uncovered: dict[str, list[int]] = {}
    unmeasured: list[str] = []
    for path, lines in sorted(changed.items()):
        if path not in report:
            if path.endswith(".py"):
                unmeasured.append(path)
            continue
        executed, missing = report[path]
        hit = lines & executed
        miss = lines & missing
        covered += len(hit)
        relevant += len(hit) + len(miss)
        if miss:
            uncovered[path] = sorted(miss)
    return DiffCoverage(threshold, covered, relevant, uncovered, unmeasured)


def read_verdict(output: str) -> bool | None:
    """The verdict of a rendered ``DiffCoverage`` at the start of ``output``; None if absent."""
    first = output.lstrip().split("\n", 1)[0].strip()
    m = _VERDICT.match(first)
    return None if m is None else m.group("ok") == "passed"
