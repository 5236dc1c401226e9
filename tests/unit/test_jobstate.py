from __future__ import annotations

import pytest

from shared import jobstate as js
from shared.messages import JOB_MODELS

HAPPY = [
    "ticket.submitted",
    "ticket.accepted",
    "model.turn",
    "ticket.planned",
    "plan.awaiting_approval",
    "approval.granted",
    "plan.approved",
    "task.ready.backend",
    "task.started",
    "step.proposed",
    "step.approved",
    "step.result",
    "task.done",
    "work.done",
    "qa.failed",
    "task.ready.backend",
    "work.done",
    "qa.passed",
    "pr.opened",
]


def test_happy_path_completes() -> None:
    assert js.replay(HAPPY) is js.Status.COMPLETED


@pytest.mark.parametrize(
    ("events", "bad"),
    [
        (["ticket.accepted"], "ticket.accepted"),
        (["ticket.submitted", "ticket.planned"], "ticket.planned"),
        (["ticket.submitted", "ticket.rejected", "ticket.accepted"], "ticket.accepted"),
        (["ticket.submitted", "job.cancelled", "job.failed"], "job.failed"),
        (["ticket.submitted", "ticket.accepted", "ticket.planned", "work.done"], "work.done"),
        (
            [
                "ticket.submitted",
                "ticket.accepted",
                "ticket.planned",
                "plan.denied",
                "step.proposed",
            ],
            "step.proposed",
        ),
    ],
)
def test_illegal_sequences_name_the_event(events: list[str], bad: str) -> None:
    with pytest.raises(js.IllegalTransition, match=bad.replace(".", r"\.")):
        js.replay(events)


def test_every_event_is_in_the_machine() -> None:
    for event in JOB_MODELS:
        assert (
            js.allowed(js.Status.IN_PROGRESS, event)
            or js.allowed(None, event)
            or any(js.allowed(st, event) for st in js.Status)
        ), event


def test_terminal_states_accept_no_work() -> None:
    for status in js.TERMINAL:
        assert js.is_terminal(status)
        for event in ("step.proposed", "task.ready.backend", "qa.passed", "job.failed"):
            assert not js.allowed(status, event)


def test_waiting_for_a_human() -> None:
    assert js.waits_for_human("awaiting_plan_approval")
    assert not js.waits_for_human("in_progress")
