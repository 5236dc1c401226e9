from __future__ import annotations

from shared.crew import conduct
from shared.messages import PlanTask, TaskPlan

PLAN = TaskPlan(
    tasks=[
        PlanTask(id="t1", kind="backend", title="api"),
        PlanTask(id="t2", kind="qa", title="more tests"),
        PlanTask(id="t3", kind="migration", title="column"),
    ]
)


def test_tasks_in_order_and_qa_folded() -> None:
    first = conduct.after_plan(PLAN)
    assert first.task is not None and first.task.id == "t1"
    second = conduct.after_task(PLAN, "t1", 1)
    assert second.task is not None and second.task.id == "t3"
    assert conduct.after_task(PLAN, "t3", 1).task is None


def test_fix_rounds_are_bounded() -> None:
    fix = conduct.fix_task(PLAN, 1, ["test_x failed"])
    assert fix is not None and fix.id == "fix-2" and fix.kind == "backend"
    assert "test_x failed" in fix.description
    assert conduct.after_task(PLAN, fix.id, 2).task is None
    assert conduct.fix_task(PLAN, conduct.MAX_QA_ROUNDS, ["x"]) is None


def test_a_plan_of_only_qa_tasks_has_nothing_for_engineers() -> None:
    only_qa = TaskPlan(tasks=[PlanTask(id="q", kind="qa", title="t")])
    assert conduct.after_plan(only_qa).task is None


def test_a_fix_round_carries_each_failed_gates_detail_within_the_task_size() -> None:
    from shared.messages import GateResult

    gates = [
        GateResult(name="tests", passed=False, detail="FAILED t.py::test_a - assert 3 == 2"),
        GateResult(name="coverage", passed=False, detail="diff coverage: 0.0%\n  a.py: 4-6"),
        GateResult(name="semgrep", passed=True, detail="no findings"),
        GateResult(name="secrets", passed=False, detail="x" * 20_000),
    ]
    fix = conduct.fix_task(PLAN, 1, ["tests: 1 failed"], gates)
    assert fix is not None
    assert "assert 3 == 2" in fix.description and "a.py: 4-6" in fix.description
    assert "no findings" not in fix.description
    assert "secrets gate:" in fix.description and len(fix.description) <= 8000
