"""A tenant attacking another through the bus with its own credentials (#21): a dedupe id it
sets on its own subjects can no longer swallow the other tenant's messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import nats

from shared import subjects as s
from shared.bus import dedupe
from shared.bus.client import Bus, inbox_for, msg_id
from shared.ids import new_job_id
from shared.messages import JobCancelled
from tests.conftest import EXTERNAL_TENANTS


async def test_a_tenant_cannot_forge_another_tenants_dedupe_id(
    nats_as: Callable[[str], str], pool: asyncpg.Pool[Any], bus: Bus
) -> None:
    a, b = EXTERNAL_TENANTS
    victim_cancel = JobCancelled(by="bob", reason="not needed")
    url = nats_as(f"tenant-{a}")
    attacker = await nats.connect(url, inbox_prefix=inbox_for(url))
    try:
        js = attacker.jetstream()

        async def forge(job_b: str) -> None:
            """A publishes on a subject it may publish on (its own job's approval.granted) with
            the id B's cancel would get, were ids only the tenant, job, event and identity (all
            A can know); JetStream's dedupe window spans every subject of the stream."""
            forged = msg_id(b, job_b, "job.cancelled", victim_cancel)
            own = s.job(a, new_job_id(), "approval.granted")
            body = b'{"request_id": "r1", "token": "t-0123456789abcdef"}'
            ack = await js.publish(own, body, headers={"Nats-Msg-Id": forged}, timeout=5)
            assert not ack.duplicate

        # Without the platform's key (as before): B's cancel is swallowed as a copy.
        unkeyed = Bus(bus.nc, service="gateway")
        job_b = new_job_id()
        await forge(job_b)
        swallowed = await unkeyed.publish_job(b, job_b, victim_cancel)
        assert swallowed.duplicate
        # With it (every platform process loads the same key): stored.
        platform = Bus(bus.nc, service="gateway", dedupe_key=await dedupe.load_key(pool))
        job_b = new_job_id()
        await forge(job_b)
        stored = await platform.publish_job(b, job_b, victim_cancel)
        assert not stored.duplicate
        # ... and still deterministic: the same message again is one message.
        again = await Bus(
            bus.nc, service="cli", dedupe_key=await dedupe.load_key(pool)
        ).publish_job(b, job_b, victim_cancel)
        assert again.duplicate
    finally:
        await attacker.close()
