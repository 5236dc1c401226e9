"""The job's state machine as data: which event may follow which status, and where it leads.

Every service consults this before acting (``may_act``); the projector applies it to build the
read model; tests replay whole event sequences through ``replay``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PLANNED = "planned"
    AWAITING_PLAN_APPROVAL = "awaiting_plan_approval"
    IN_PROGRESS = "in_progress"
    IN_QA = "in_qa"
    PUBLISHING = "publishing"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = Status
TERMINAL = frozenset({S.COMPLETED, S.REJECTED, S.FAILED, S.CANCELLED})
ACTIVE = frozenset(set(Status) - TERMINAL)
WORKING = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.IN_QA})  # where agents propose steps

# event -> (statuses it may follow, status it leads to; None keeps the current status)
_TRANSITIONS: dict[str, tuple[frozenset[Status | None], Status | None]] = {
    "ticket.submitted": (frozenset({None}), S.SUBMITTED),
    "ticket.accepted": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "ticket.rejected": (frozenset({S.SUBMITTED}), S.REJECTED),
    "ticket.planned": (frozenset({S.ACCEPTED}), S.PLANNED),
    "plan.approved": (frozenset({S.PLANNED, S.AWAITING_PLAN_APPROVAL}), S.IN_PROGRESS),
    "plan.awaiting_approval": (frozenset({S.PLANNED}), S.AWAITING_PLAN_APPROVAL),
    "plan.denied": (frozenset({S.PLANNED, S.AWAITING_PLAN_APPROVAL}), S.REJECTED),
    "task.ready": (frozenset({S.IN_PROGRESS}), None),
    "task.started": (frozenset({S.IN_PROGRESS}), None),
    "task.done": (frozenset({S.IN_PROGRESS}), None),
    "step.proposed": (WORKING, None),
    "step.approved": (WORKING, None),
    "step.denied": (WORKING, None),
    "step.awaiting_approval": (WORKING, None),
    "step.result": (WORKING, None),
    "model.turn": (WORKING, None),
    "approval.granted": (frozenset(ACTIVE), None),
    "approval.refused": (frozenset(ACTIVE), None),
    "work.done": (frozenset({S.IN_PROGRESS}), S.IN_QA),
    "qa.failed": (frozenset({S.IN_QA}), S.IN_PROGRESS),
    "qa.passed": (frozenset({S.IN_QA}), S.PUBLISHING),
    "pr.opened": (frozenset({S.PUBLISHING}), S.COMPLETED),
    "job.failed": (frozenset(ACTIVE), S.FAILED),
    "job.cancelled": (frozenset(ACTIVE), S.CANCELLED),
    "cost.updated": (frozenset(set(Status) | {None}) - {None}, None),
}


class IllegalTransition(ValueError):
    """An event that may not follow the job's current status."""


def _base(event: str) -> str:
    return "task.ready" if event.startswith("task.ready.") else event


def allowed(status: Status | None, event: str) -> bool:
    rule = _TRANSITIONS.get(_base(event))
    return rule is not None and status in rule[0]


def apply(status: Status | None, event: str) -> Status:
    """The status after ``event``; raise IllegalTransition if it may not happen now."""
    rule = _TRANSITIONS.get(_base(event))
    if rule is None:
        raise IllegalTransition(f"unknown job event {event!r}")
    sources, target = rule
    if status not in sources:
        where = status.value if status else "a job that does not exist yet"
        raise IllegalTransition(f"{event} may not follow {where}")
    if target is None:
        assert status is not None
        return status
    return target


def replay(events: Iterable[str]) -> Status:
    """Run a whole event sequence through the machine; raise on the first illegal step."""
    status: Status | None = None
    for event in events:
        status = apply(status, event)
    if status is None:
        raise IllegalTransition("no events")
    return status


def is_terminal(status: Status | str | None) -> bool:
    return status is not None and Status(status) in TERMINAL


def waits_for_human(status: Status | str | None) -> bool:
    return status is not None and Status(status) is S.AWAITING_PLAN_APPROVAL


def ends_job(event: str) -> bool:
    """Whether this event leads the job to a terminal status (its event stream ends there)."""
    rule = _TRANSITIONS.get(_base(event))
    return rule is not None and rule[1] in TERMINAL
