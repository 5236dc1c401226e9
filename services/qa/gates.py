"""The gates and how a tool's output becomes a verdict. Pure: QA decides from what the tools
printed and their exit status, never from a model's claim."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from shared.messages import GateResult


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


_FENCE = re.compile(r"^<<<.*$|^>>>.*$", re.MULTILINE)


def judge(gate: Gate, ok: bool, output: str) -> GateResult:
    """A gate passes only when its tool ran and reported success."""
    text = _FENCE.sub("", output).strip()
    tail = text[-600:]
    if output.startswith("denied by the safety guard"):
        return GateResult(name=gate.name, passed=False, detail=output[:600])
    return GateResult(name=gate.name, passed=ok, detail=tail)


def findings(results: list[GateResult]) -> list[str]:
    return [
        f"{r.name}: {r.detail.splitlines()[-1] if r.detail else 'failed'}"
        for r in results
        if not r.passed
    ]
