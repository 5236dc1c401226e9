"""The gates and how a tool's output becomes a verdict. Pure: QA decides from what the tools
printed (exit status, semgrep's JSON report, the secret scan's findings), never from a model's
claim, and never from the mere fact that a tool answered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from shared.messages import GateResult
from shared.qa import semgrep

_HEADER = re.compile(r"^\[(?:exit code (-?\d+)|timed out \(killed\))[^\]]*\]\n?", re.MULTILINE)


@dataclass(frozen=True)
class Gate:
    name: str
    tool: str
    arguments: dict[str, Any]


def gates(coverage_threshold: int, enabled: set[str], base: str) -> list[Gate]:
    """The gates QA runs, in order; the secret scan covers everything since the base branch."""
    every = [
        Gate("tests", "run_tests", {}),
        Gate("coverage", "run_coverage", {"threshold": coverage_threshold}),
        Gate("semgrep", "run_semgrep", {}),
        Gate("secrets", "scan_secrets", {"base": f"origin/{base}"}),
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
        return GateResult(name=gate.name, passed=False, detail=_tail(output))
    if gate.name == "secrets":
        clean = output.strip() == "no secrets found"
        return GateResult(name="secrets", passed=clean, detail=_tail(output))
    code, rest = _exit(output)
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
    return GateResult(name=gate.name, passed=code == 0, detail=_tail(rest))


def findings(results: list[GateResult]) -> list[str]:
    out = []
    for r in results:
        if not r.passed:
            lines = r.detail.strip().splitlines()
            out.append(f"{r.name}: {lines[-1] if lines else 'failed'}")
    return out
