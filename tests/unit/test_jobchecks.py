"""The fault tests' checks of a job's log catch what they are meant to catch."""

from __future__ import annotations

from shared.bus.history import Entry
from tests.support.jobchecks import sequence_problems

HEAD = ["ticket.submitted", "ticket.accepted", "ticket.planned", "plan.approved"]
TAIL = ["task.ready.backend", "task.started", "task.done", "work.done", "qa.passed", "pr.opened"]


def _log(middle: list[tuple[str, dict[str, object]]]) -> list[Entry]:
    events = [(e, {}) for e in HEAD] + middle + [(e, {}) for e in TAIL]
    return [Entry(i, e, dict(b)) for i, (e, b) in enumerate(events, 1)]


def _step(step: str, result: bool = True) -> list[tuple[str, dict[str, object]]]:
    out: list[tuple[str, dict[str, object]]] = [
        ("step.proposed", {"step_id": step}),
        ("step.approved", {"step_id": step}),
    ]
    return out + ([("step.result", {"step_id": step})] if result else [])


def _turn(agent: str, n: int) -> tuple[str, dict[str, object]]:
    return ("model.turn", {"agent": agent, "turn": n})


def test_a_clean_log_and_a_rerun_call_pass() -> None:
    middle = [_turn("backend-t1-r1", 0), *_step("backend-t1-r1-1"), _turn("backend-t1-r1", 1)]
    middle += [*_step("backend-t1-r1-2", result=False), *_step("backend-t1-r1-2-again1")]
    assert sequence_problems(_log(middle)) == []


def test_holes_repeats_and_illegal_orders_are_found() -> None:
    no_result = _log(_step("lead-a1-1", result=False))
    assert sequence_problems(no_result) == ["call lead-a1-1: 0 results"]
    hole = _log([*_step("lead-a1-1"), *_step("lead-a1-3")])
    assert sequence_problems(hole) == ["lead-a1: numbers [1, 3] have a hole or a repeat"]
    repeat = _log([_turn("lead-a1", 0), _turn("lead-a1", 0)])
    assert sequence_problems(repeat) == ["turns of lead-a1: numbers [0, 0] have a hole or a repeat"]
    twice = _log([*_step("lead-a1-1"), ("step.result", {"step_id": "lead-a1-1"})])
    assert sequence_problems(twice)[0].startswith("step lead-a1-1:")
    early = [Entry(1, "ticket.submitted", {}), Entry(2, "qa.passed", {})]
    assert sequence_problems(early) == ["qa.passed may not follow submitted"]
