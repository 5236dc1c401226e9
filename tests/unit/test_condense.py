"""Condensing a long run's history: oldest tool outputs first, then old long arguments; the task
and the newest outputs untouched; the same history always gives the same request."""

from __future__ import annotations

import json
from typing import Any

from shared.crew.condense import KEEP_RECENT, condense
from shared.models import tokens


def _history(n: int, size: int = 3000) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"role": "user", "content": "The task: fix the parser."}]
    for i in range(n):
        args = {"path": f"src/m{i}.py", "content": "x = 1\n" * (size // 6)}
        items.append(
            {
                "type": "function_call",
                "call_id": f"c{i}",
                "name": "write_file",
                "arguments": json.dumps(args),
            }
        )
        items.append(
            {"type": "function_call_output", "call_id": f"c{i}", "output": f"out{i} " * (size // 5)}
        )
    return items


def _tokens(items: list[dict[str, Any]]) -> int:
    return sum(tokens.count(json.dumps(i, ensure_ascii=False)) for i in items)


def test_under_budget_nothing_changes() -> None:
    items = _history(3)
    done = condense(items, budget=1_000_000, count=tokens.count)
    assert done.items == items and not done.changed


def test_over_budget_the_oldest_outputs_go_first_and_the_newest_stay() -> None:
    items = _history(10)
    whole = _tokens(items)
    budget = whole * 2 // 3
    done = condense(items, budget=budget, count=tokens.count)
    assert done.changed and done.tokens_before == whole
    assert done.tokens_after <= budget and _tokens(done.items) == done.tokens_after
    outputs = [i for i in done.items if i.get("type") == "function_call_output"]
    masked = [o["output"].startswith("[condensed: this write_file output") for o in outputs]
    assert masked == sorted(masked, reverse=True)  # a masked prefix: oldest first
    assert any(masked) and not any(masked[-KEEP_RECENT:])
    assert done.items[0] == items[0]  # the task stays
    assert len(done.items) == len(items)  # every call keeps its output: the pairing holds
    assert items[2]["output"].startswith("out0")  # the history itself is not changed


def test_then_the_long_arguments_of_old_calls() -> None:
    items = _history(10)
    done = condense(items, budget=_tokens(items) // 4, count=tokens.count)
    assert done.masked_arguments > 0
    calls = [i for i in done.items if i.get("type") == "function_call"]
    first = json.loads(calls[0]["arguments"])
    assert first["path"] == "src/m0.py" and first["content"].startswith("[condensed: ")
    for call in calls[-KEEP_RECENT:]:  # the newest calls keep their arguments
        assert not json.loads(call["arguments"])["content"].startswith("[condensed")


def test_deterministic_and_bounded_by_what_can_be_masked() -> None:
    items = _history(6)
    a = condense(items, budget=10, count=tokens.count)
    b = condense(items, budget=10, count=tokens.count)
    assert a == b
    outputs = [i for i in a.items if i.get("type") == "function_call_output"]
    assert sum(o["output"].startswith("[condensed") for o in outputs) == 6 - KEEP_RECENT


def test_fixed_part_counts_toward_the_budget() -> None:
    items = _history(8)
    budget = _tokens(items) + 100
    assert not condense(items, budget=budget, count=tokens.count).changed
    assert condense(items, budget=budget, count=tokens.count, fixed="word " * 5000).changed
