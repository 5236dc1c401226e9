"""The publisher service: one durable consumer on ``qa.passed``."""

from __future__ import annotations

from services.publisher import handlers
from shared.service import Service


def build() -> Service:
    return Service(
        name="publisher", durable="publisher", handlers={"qa.passed": handlers.on_qa_passed}
    )
