"""Guard verdicts: the one value every policy check returns.

A verdict is ``allow``, ``needs_approval`` or ``deny`` plus the ids of the rules that fired and a
human-readable reason for each. Verdicts are immutable; ``combine`` folds several into one where
the worst level wins (deny > needs_approval > allow) and rule ids / reasons are merged in order
without duplicates. ``allow()`` carries no rule ids, so combining it with anything is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

Level = Literal["allow", "needs_approval", "deny"]

_RANK: dict[str, int] = {"allow": 0, "needs_approval": 1, "deny": 2}
_LEVELS: tuple[Level, Level, Level] = ("allow", "needs_approval", "deny")


class Verdict(BaseModel):
    """Outcome of a policy decision."""

    model_config = ConfigDict(frozen=True)

    verdict: Level
    rule_ids: list[str]
    reasons: list[str]

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"

    @property
    def rank(self) -> int:
        return _RANK[self.verdict]


def allow() -> Verdict:
    """The neutral verdict: allowed, no rules fired."""
    return Verdict(verdict="allow", rule_ids=[], reasons=[])


def needs_approval(rule_id: str, reason: str) -> Verdict:
    return Verdict(verdict="needs_approval", rule_ids=[rule_id], reasons=[reason])


def deny(rule_id: str, reason: str) -> Verdict:
    return Verdict(verdict="deny", rule_ids=[rule_id], reasons=[reason])


def _dedup(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def combine(*verdicts: Verdict) -> Verdict:
    """Fold verdicts: the worst level wins; rule ids and reasons merged in order, deduplicated."""
    if not verdicts:
        return allow()
    worst = max(_RANK[v.verdict] for v in verdicts)
    return Verdict(
        verdict=_LEVELS[worst],
        rule_ids=_dedup(r for v in verdicts for r in v.rule_ids),
        reasons=_dedup(r for v in verdicts for r in v.reasons),
    )


def from_hits(hits: Iterable[tuple[int, str, str]]) -> Verdict:
    """Build a verdict from ``(rank, rule_id, reason)`` triples (rank 0/1/2)."""
    worst = 0
    rule_ids: list[str] = []
    reasons: list[str] = []
    for rank, rule_id, reason in hits:
        worst = max(worst, rank)
        rule_ids.append(rule_id)
        reasons.append(reason)
    return Verdict(verdict=_LEVELS[worst], rule_ids=_dedup(rule_ids), reasons=_dedup(reasons))
