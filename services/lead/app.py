"""The lead service: one durable consumer on ``ticket.accepted``."""

from __future__ import annotations

from services.lead import handlers
from shared.service import Service


def build() -> Service:
    return Service(
        name="lead",
        durable="lead",
        handlers={"ticket.accepted": handlers.on_accepted},
        stop_on_job_end=True,
    )
