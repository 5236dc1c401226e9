"""The gates and how a tool's output becomes a verdict. Pure: QA decides from what the tools
printed (exit status, semgrep's JSON report, the secret scan's findings), never from a model's
claim, and never from the mere fact that a tool answered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from shared.messages import GateResult
from shared.qa import diffcov, lint, semgrep

NO_TESTS = (
    "the repository has no tests QA can run (no pytest tests, no npm test script): "
    "add tests that exercise the change"
)
_HEADER = re.compile(r"^\[(?:exit code (-?\d+)|timed out \(killed\))[^\]]*\]\n?", re.MULTILINE)


@dataclass(frozen=True)
class Gate:
    name: str
    tool: str
    arguments: dict[str, Any]


def gates(coverage_threshold: float, enabled: set[str], base: str) -> list[Gate]:
    """The gates QA runs, in order. All but the tests judge the change, not the repository:
    coverage of the lines changed since the base branch, lint (ruff) and semgrep findings on
    those lines, and secrets in what was added."""
    since = f"origin/{base}"
    every = [
        Gate("tests", "run_tests", {}),
        Gate("coverage", "run_coverage", {"threshold": coverage_threshold, "base": since}),
        Gate("lint", "run_lint", {"base": since}),
        Gate("semgrep", "run_semgrep", {"base": since}),
        Gate("secrets", "scan_secrets", {"base": since}),
    ]
    return [g for g in every if g.name in enabled]


def _exit(output: str) -> tuple[int | None, str]:
    """(exit code or None when killed/absent, the output after the sandbox's header)."""
    m = _HEADER.search(output)
    if m is None:
        return None, output
    code = int(m.group(1)) if m.group(1) is not None else None
    return code, output[m.end() :]


def _tail(text: str, n: int = 600) -> str:
    return text.strip()[-n:]


def judge(gate: Gate, ok: bool, output: str) -> GateResult:
    """A gate passes only when its tool ran and its own output says it passed."""
    if not ok:
        if "no test command found" in output or "no coverage command found" in output:
            return GateResult(name=gate.name, passed=False, detail=NO_TESTS)
        return GateResult(name=gate.name, passed=False, detail=_tail(output))
    if gate.name == "secrets":
        clean = output.strip() == "no secrets found"
        return GateResult(name="secrets", passed=clean, detail=_tail(output))
    if gate.name == "coverage" and "base" in gate.arguments:
        return _diff_coverage(output)
    code, rest = _exit(output)
    if gate.name == "lint" and "base" in gate.arguments:
        try:
            found, blocks = lint.findings(rest), lint.blocking(rest)
        except ValueError as exc:
            return GateResult(name="lint", passed=False, detail=f"lint failed: {exc}")
        shown = [*blocks, *(f"{f} (not blocking)" for f in found if f not in blocks)]
        detail = "\n".join(shown[:20]) if shown else "no findings on changed lines"
        return GateResult(name="lint", passed=code == 0 and not blocks, detail=detail[:1500])
    if gate.name == "semgrep":
        try:
            blocked = semgrep.blocking(rest)
            found = semgrep.findings(rest)
        except ValueError as exc:
            return GateResult(name="semgrep", passed=False, detail=f"semgrep failed: {exc}")
        detail = "; ".join(found[:10]) if found else "no findings"
        return GateResult(name="semgrep", passed=not blocked, detail=detail[:600])
    if code is None:
        return GateResult(name=gate.name, passed=False, detail="no exit status: " + _tail(output))
    detail = failure_digest(rest) if gate.name == "tests" and code != 0 else _tail(rest)
    return GateResult(name=gate.name, passed=code == 0, detail=detail)


def _diff_coverage(output: str) -> GateResult:
    """The verdict is the tool's first line (written by the server, never by the sandbox); the
    detail keeps the uncovered lines, not the test run's tail."""
    verdict = diffcov.read_verdict(output)
    report = output.split("\n\n$ ", 1)[0].strip()
    if verdict is None:
        return GateResult(name="coverage", passed=False, detail=_tail(output))
    return GateResult(name="coverage", passed=verdict, detail=report[:1500])


_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+?)(?: - .*)?$", re.MULTILINE)
_DIFF_FILE = re.compile(r"^diff --git a/(\S+) b/(\S+)$", re.MULTILINE)


def failed_tests(output: str) -> list[str]:
    """The test ids pytest's short summary names as failed or erroring, in order, once each."""
    return list(dict.fromkeys(m.group(1) for m in _FAILED.finditer(output)))


def changed_files(diff_output: str) -> set[str]:
    """Paths a ``git_diff`` output names: both sides of each file header, and untracked files."""
    names = {p for m in _DIFF_FILE.finditer(diff_output) for p in m.groups()}
    _, _, untracked = diff_output.partition("# untracked files (not in the diff):\n")
    return names | {line.strip() for line in untracked.splitlines() if line.strip()}


def to_check_on_base(failed: list[str], changed: set[str]) -> list[str]:
    """The failures that may predate the change: tests in files the change did not touch (a
    test the change adds or edits must pass whatever the base did)."""
    return [t for t in failed if t.split("::", 1)[0] not in changed]


def against_base(
    result: GateResult, failed: list[str], base_failed: list[str], output: str = ""
) -> GateResult:
    """The tests gate once the failures were run on the base commit: failures that were
    failures there too are reported but do not fail the job; any other failure does, shown
    with its own traceback from ``output`` (the run's whole output)."""
    before = [t for t in failed if t in set(base_failed)]
    new = [t for t in failed if t not in set(base_failed)]
    if not before:
        return result
    note = f"{len(before)} test(s) failing before the change too (not caused by it): " + ", ".join(
        before[:10]
    )
    if not new:
        return GateResult(name="tests", passed=True, detail=note[:600])
    head = f"{len(new)} test(s) failing because of the change: " + ", ".join(new[:10])
    shown = failure_sections(output, new) or result.detail
    return GateResult(name="tests", passed=False, detail=f"{head}\n{note}\n\n{shown}")


_PYTEST_TALLY = re.compile(r"^=*\s*((?:\d+ [a-z]+(?:, )?)+) in [\d.]+s", re.MULTILINE)
_TAPE = re.compile(r"^# (pass|fail)\s+(\d+)$", re.MULTILINE)
_KEPT = ("passed", "failed", "error", "errors", "skipped", "xfailed", "xpassed")


def tally(output: str) -> str:
    """A test run summed up as its runner did: pytest's counts (without warnings), TAP's pass
    and fail lines, else its exit status."""
    found = _PYTEST_TALLY.findall(output)
    if found:
        parts = [p for p in found[-1].split(", ") if p.split(" ", 1)[1] in _KEPT]
        return ", ".join(parts) or found[-1]
    tap = dict(_TAPE.findall(output))
    if tap:
        return f"{tap.get('pass', '0')} passed, {tap.get('fail', '0')} failed"
    code, _ = _exit(output)
    return "timed out" if code is None else f"exit code {code}"


_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$", re.MULTILINE)


def failure_sections(output: str, ids: list[str], limit: int = 3000) -> str:
    """The FAILURES sections of ``output`` that belong to the test ids ``ids`` (pytest titles a
    section by the id's part after the file, with dots: ``Class.test_x[param]``)."""
    titles = {".".join(t.split("::")[1:]) for t in ids}
    start = output.find("= FAILURES =")
    if start < 0:
        return ""
    ends = [output.find(m, start) for m in (" warnings summary ", " short test summary info ")]
    body = output[start : min([e for e in ends if e > 0], default=len(output))]
    marks = list(_SECTION.finditer(body))
    kept = [
        body[m.start() : marks[i + 1].start() if i + 1 < len(marks) else len(body)].strip()
        for i, m in enumerate(marks)
        if m.group(1) in titles
    ]
    return "\n\n".join(kept)[:limit]


_SUMMARY_FIRST = re.compile(r"diff coverage:|\d+ test\(s\) failing because of the change")


def findings(results: list[GateResult]) -> list[str]:
    """One line per failed gate: its verdict (diff coverage) or its output's last line."""
    out = []
    for r in results:
        if not r.passed:
            lines = r.detail.strip().splitlines()
            first = _SUMMARY_FIRST.match(r.detail) is not None
            pick = (lines[0] if first else lines[-1]) if lines else ""
            named = [ln for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
            if r.name == "tests" and named and not first:  # which tests, with their assertion
                more = f" (and {len(named) - 3} more)" if len(named) > 3 else ""
                pick = "; ".join(named[:3]) + more
            out.append(f"{r.name}: {pick or 'failed'}")
    return out


def failure_digest(output: str, head: int = 2500, tail: int = 1000) -> str:
    """What a fix round needs of a failed pytest run: its FAILURES section (assertions and
    tracebacks) from the start, and the summary at the end; else the output's tail."""
    text = output.strip()
    at = text.find("= FAILURES =")
    if at < 0:
        at = text.find("= ERRORS =")
    if at < 0:
        return text[-tail:]
    start = text.rfind("\n", 0, at) + 1
    body = text[start:]
    if len(body) <= head + tail:
        return body
    return f"{body[:head]}\n[... {len(body) - head - tail} characters cut ...]\n{body[-tail:]}"
