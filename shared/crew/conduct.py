"""The conductor's decisions, pure: which task comes next, when the work is done, what a fix
round looks like. Plan tasks of kind ``qa`` are not run by engineers: QA folds them into its
gate run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.messages import GateResult, PlanTask, TaskPlan
from shared.roles import BY_NAME, ENGINEER_ROLES

MAX_QA_ROUNDS = 3
FIX_DETAIL_CHARS = 6000  # of the failed gates' own output, within a task's 8000


@dataclass(frozen=True)
class Next:
    """Either a task to hand out, or the work is done."""

    task: PlanTask | None
    round: int


def engineering(plan: TaskPlan) -> list[PlanTask]:
    return [t for t in plan.tasks if t.kind != "qa"]


def after_plan(plan: TaskPlan) -> Next:
    tasks = engineering(plan)
    return Next(tasks[0] if tasks else None, 1)


def after_task(plan: TaskPlan, task_id: str, round: int) -> Next:
    """What follows a finished task: the next one of the plan in round 1; a fix task is the
    only task of a later round."""
    if round > 1:
        return Next(None, round)
    tasks = engineering(plan)
    ids = [t.id for t in tasks]
    if task_id not in ids:
        return Next(None, round)
    i = ids.index(task_id)
    return Next(tasks[i + 1] if i + 1 < len(tasks) else None, round)


def fixer(plan: TaskPlan) -> str:
    """The engineer role of a fix round: the plan's first engineer that may run the tests and
    write anywhere, else the first such role of the crew."""
    able = [
        r
        for r in ENGINEER_ROLES
        if "run" in BY_NAME[r].capabilities and not BY_NAME[r].writes_under
    ]
    kinds = {t.kind for t in engineering(plan)}
    return next((r for r in able if r in kinds), able[0])


def fix_task(
    plan: TaskPlan, failed_round: int, findings: list[str], gates: Sequence[GateResult] = ()
) -> PlanTask | None:
    """The task of the next round after QA failed, or None when the rounds are used up. It
    carries each failed gate's own detail (failing tests with their assertions, the uncovered
    changed lines, findings with file:line and rule), within the task's size."""
    if failed_round >= MAX_QA_ROUNDS:
        return None
    role = fixer(plan)
    text = "\n".join(f"- {f}" for f in findings[:20])
    room = FIX_DETAIL_CHARS
    for g in gates:
        if not g.passed and g.detail.strip() and room > 0:
            block = f"\n\n{g.name} gate:\n{g.detail.strip()[:room]}"
            text += block
            room -= len(block)
    return PlanTask(
        id=f"fix-{failed_round + 1}",
        kind=role,
        title=f"Fix what QA found in round {failed_round}",
        description=f"QA's gates failed. Make them pass without weakening the tests.\n{text}",
        acceptance_criteria=["every QA gate passes"],
    )


def plan_problems(plan: TaskPlan) -> list[str]:
    """Rules a plan must meet beyond its schema (which already bounds kinds and counts)."""
    problems = []
    ids = [t.id for t in plan.tasks]
    if len(set(ids)) != len(ids):
        problems.append("task ids must be unique")
    if any(t.id.startswith("fix-") for t in plan.tasks):
        problems.append("task ids starting with 'fix-' are reserved for QA fix rounds")
    if not any(t.title.strip() for t in plan.tasks):
        problems.append("every task needs a title")
    return problems
