"""One service's throughput with 1 and 2 instances (the guard's ticket pre-flight).

Each instance is its own OS process on the guard's durable consumer. Baseline, in the same run:
a bare JetStream pull consumer that acks without any processing, on the same server.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from bench.common import Servers, bus_and_db, median, service_processes
from shared import subjects as s
from shared.bus.client import Bus
from shared.bus.topology import ConsumerSpec
from shared.ids import new_job_id
from shared.messages import TicketSubmitted
from shared.registry import add_tenant

MESSAGES = 400
RUNS = 3
TICKET = TicketSubmitted(
    repo="shop",
    title="Add a health endpoint",
    body="Return 200 with the version.",
    submitted_by="bench",
)


async def _raw_baseline(bus: Bus) -> float:
    tenant = f"b-{secrets.token_hex(3)}"
    spec = ConsumerSpec(
        f"raw-{tenant}", s.JOBS_STREAM, [f"devforge.{tenant}.job.*.ticket.submitted"]
    )
    await bus.js.add_consumer(spec.stream, spec.config(5, 30))
    sub = await bus.js.pull_subscribe_bind(spec.durable, stream=spec.stream)
    t0 = time.perf_counter()
    for _ in range(MESSAGES):
        await bus.publish_job(tenant, new_job_id(), TICKET)
    done = 0
    while done < MESSAGES:
        for m in await sub.fetch(64, timeout=5):
            await m.ack()
            done += 1
    return MESSAGES / (time.perf_counter() - t0)


async def _guard_rate(srv: Servers, instances: int) -> float:
    tenant = f"b-{secrets.token_hex(3)}"
    await add_tenant(srv.pool, srv.bus, tenant)
    async with service_processes("services.guard", "guard", srv.env, instances):
        accepted = asyncio.Event()
        count = 0

        async def on_msg(_: Any) -> None:
            nonlocal count
            count += 1
            if count >= MESSAGES:
                accepted.set()

        sub = await srv.bus.nc.subscribe(f"devforge.{tenant}.job.*.ticket.accepted", cb=on_msg)
        t0 = time.perf_counter()
        for _ in range(MESSAGES):
            await srv.bus.publish_job(tenant, new_job_id(), TICKET)
        await asyncio.wait_for(accepted.wait(), 120)
        rate = MESSAGES / (time.perf_counter() - t0)
        await sub.unsubscribe()
        return rate


async def _main() -> dict[str, Any]:
    async with bus_and_db() as srv:
        base = [await _raw_baseline(srv.bus) for _ in range(RUNS)]
        one = [await _guard_rate(srv, 1) for _ in range(RUNS)]
        two = [await _guard_rate(srv, 2) for _ in range(RUNS)]
    return {
        "service": "guard (ticket.submitted -> secret pre-flight -> ticket.accepted + audit row)",
        "messages_per_run": MESSAGES,
        "runs": RUNS,
        "baseline_raw_jetstream_msgs_s": round(median(base), 1),
        "one_instance_msgs_s": round(median(one), 1),
        "two_instances_msgs_s": round(median(two), 1),
        "ratio_two_vs_one": round(median(two) / median(one), 2),
        "ratio_one_vs_baseline": round(median(one) / median(base), 3),
    }


def run() -> dict[str, Any]:
    return asyncio.run(_main())
