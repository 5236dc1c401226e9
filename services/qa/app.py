"""The QA service: one durable consumer on ``plan.approved`` (the baseline) and ``work.done``
(the gates)."""

from __future__ import annotations

from services.qa import handlers
from shared.service import Service


def build() -> Service:
    return Service(
        name="qa",
        durable="qa",
        handlers={"plan.approved": handlers.on_plan_approved, "work.done": handlers.on_work_done},
        stop_on_job_end=True,
    )
