"""The guard service: its durable consumer, its mint endpoint and its approval-timeout sweep."""

from __future__ import annotations

from services.guard import handlers
from shared import subjects
from shared.service import Service


def build() -> Service:
    return Service(
        name="guard",
        durable="guard",
        handlers={
            "ticket.submitted": handlers.on_ticket_submitted,
            "ticket.planned": handlers.ending_checked(handlers.on_ticket_planned),
            "step.proposed": handlers.on_step_proposed,  # checks the job's state itself
            "approval.granted": handlers.ending_checked(handlers.on_approval),
            "approval.refused": handlers.ending_checked(handlers.on_approval),
        },
        skip_terminal=False,
        rpc={subjects.GUARD_MINT: handlers.mint},
        background=[handlers.expire_loop],
    )
