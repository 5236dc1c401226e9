"""The QA service: one durable consumer on ``work.done``."""

from __future__ import annotations

from services.qa import handlers
from shared.service import Service


def build() -> Service:
    return Service(
        name="qa",
        durable="qa",
        handlers={"work.done": handlers.on_work_done},
        stop_on_job_end=True,
    )
