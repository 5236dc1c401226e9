"""An outage of the bus in the middle of an agent run (here: publishing a tool's result while
the NATS server restarts) is waited out and the delivery redone, with the recorded turns
replayed; it never counts as a failed attempt of the agent. The lead of the demo has a recorded
transcript for its first attempt only, so a miscounted outage ends the job ``failed``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import nats.errors
from nats.js.api import PubAck

from shared import registry
from shared import subjects as s
from shared.bus.client import Bus
from shared.ids import new_job_id
from shared.messages import Message, StepResult
from tests.support.crew import crew, demo_repo, demo_ticket, replay_server
from tests.support.running import collecting, eventually


class BusLosingOneResult(Bus):
    """The lead's own connection, whose first publish of a tool's result fails the way it
    does while the NATS server restarts."""

    def __init__(self, bus: Bus) -> None:
        super().__init__(bus.nc, service=bus.service)
        self.lost: list[str] = []

    async def publish_job(
        self, tenant: str, job_id: str, msg: Message, *, msg_id_override: str | None = None
    ) -> PubAck:
        # The first result of a call the model made (the platform's own environment step,
        # ``-env``, comes before it).
        if isinstance(msg, StepResult) and not self.lost and not msg.step_id.endswith("-env"):
            self.lost.append(msg.step_id)
            raise nats.errors.ConnectionReconnectingError()
        return await super().publish_job(tenant, job_id, msg, msg_id_override=msg_id_override)


async def test_an_outage_inside_a_tool_call_is_waited_out_not_a_failed_attempt(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    tenant = registered
    repo = demo_repo(tmp_path / "shop-src")
    await registry.add_repo(pool, bus, tenant, "outage-shop", f"file://{repo}", "main")
    job = new_job_id()
    ticket = demo_ticket("outage-shop", "a")
    with replay_server():
        async with (
            crew(nats_as, pg_url, tmp_path / "home") as services,
            collecting(bus, s.job_events(tenant, job)) as col,
        ):
            lead = services["lead"]
            assert lead.bus is not None
            flaky = BusLosingOneResult(lead.bus)
            lead.bus = flaky
            await bus.publish_job(tenant, job, ticket)

            async def decided() -> bool:
                ends = (".ticket.planned", ".job.failed")
                return any(sj.endswith(ends) for sj, _ in col.items)

            await eventually(decided, timeout=90)
    events = [(sj.split(".", 4)[4], b) for sj, b in col.items]
    failed = [b for e, b in events if e == "job.failed"]
    assert failed == []
    assert flaky.lost == ["lead-a1-1"]  # the fault did happen, to the lead's first tool call
    planned = [b for e, b in events if e == "ticket.planned"]
    assert [p["attempt"] for p in planned] == [1]
    runs = {b["agent"] for e, b in events if e == "model.turn"}
    assert runs == {"lead-a1"}
    # The interrupted read ran again under a new step id, and its result reached the log.
    results = [b["step_id"] for e, b in events if e == "step.result"]
    assert "lead-a1-1" not in results and "lead-a1-1-again1" in results
