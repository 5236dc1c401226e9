from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.policy.verdict import Verdict, allow, combine, deny, from_hits, needs_approval


def test_allow_has_no_rules() -> None:
    v = allow()
    assert (v.verdict, v.rule_ids, v.reasons) == ("allow", [], [])
    assert v.allowed


@pytest.mark.parametrize(
    ("levels", "worst"),
    [
        (["allow"], "allow"),
        (["allow", "needs_approval"], "needs_approval"),
        (["needs_approval", "deny", "allow"], "deny"),
        (["deny", "needs_approval"], "deny"),
    ],
)
def test_combine_worst_wins(levels: list[str], worst: str) -> None:
    vs = [
        allow() if lv == "allow" else Verdict(verdict=lv, rule_ids=[lv], reasons=[lv])  # type: ignore[arg-type]
        for lv in levels
    ]
    assert combine(*vs).verdict == worst


def test_combine_merges_in_order_without_duplicates() -> None:
    a = needs_approval("git.push", "push")
    b = deny("command.rm_critical", "rm")
    c = needs_approval("git.push", "push")
    v = combine(a, b, c)
    assert v.verdict == "deny"
    assert v.rule_ids == ["git.push", "command.rm_critical"]
    assert v.reasons == ["push", "rm"]


def test_combine_of_nothing_is_allow() -> None:
    assert combine() == allow()


def test_verdict_is_frozen_and_validated() -> None:
    v = deny("x", "y")
    with pytest.raises(ValidationError):
        v.verdict = "allow"
    with pytest.raises(ValidationError):
        Verdict(verdict="maybe", rule_ids=[], reasons=[])  # type: ignore[arg-type]


def test_from_hits() -> None:
    v = from_hits([(1, "a", "ra"), (0, "b", "rb"), (1, "a", "ra")])
    assert v.verdict == "needs_approval"
    assert v.rule_ids == ["a", "b"]
    assert from_hits([]).verdict == "allow"
