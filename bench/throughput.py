"""One service's throughput with 1 and 2 instances (the guard's ticket pre-flight).

Each instance is its own OS process on the guard's durable consumer. Baseline, in the same run:
a bare JetStream pull consumer that acks without any processing, on the same server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import median
from shared import subjects as s
from shared.bus.client import Bus
from shared.bus.topology import ConsumerSpec, declare
from shared.db.migrate import upgrade
from shared.db.pool import create_pool
from shared.embedded import servers
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


async def _guard_rate(bus: Bus, env: dict[str, str], pool: Any, instances: int) -> float:
    tenant = f"b-{secrets.token_hex(3)}"
    await add_tenant(pool, bus, tenant)
    home = Path(env["DEVFORGE_HOME"])
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "services.guard"], env=env, stderr=subprocess.DEVNULL
        )
        for _ in range(instances)
    ]
    try:
        ready = home / "run" / "ready"
        while len([f for f in ready.glob("guard.*")]) < instances if ready.exists() else True:
            await asyncio.sleep(0.05)
        accepted = asyncio.Event()
        count = 0

        async def on_msg(_: Any) -> None:
            nonlocal count
            count += 1
            if count >= MESSAGES:
                accepted.set()

        sub = await bus.nc.subscribe(f"devforge.{tenant}.job.*.ticket.accepted", cb=on_msg)
        t0 = time.perf_counter()
        for _ in range(MESSAGES):
            await bus.publish_job(tenant, new_job_id(), TICKET)
        await asyncio.wait_for(accepted.wait(), 120)
        rate = MESSAGES / (time.perf_counter() - t0)
        await sub.unsubscribe()
        return rate
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)


async def _main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dfb-") as tmp:
        root = Path(tmp)
        nats = servers.start_nats(root / "nats", servers.plain_config(root / "js"))
        pg = servers.start_postgres(root / "pg")
        try:
            upgrade(pg)
            bus = await Bus.connect(nats.url)
            await declare(bus.js, max_deliver=5, ack_wait=30)
            pool = await create_pool(pg)
            env = {
                "PATH": os.environ.get("PATH", ""),
                "DEVFORGE_NATS_URL": nats.url,
                "DEVFORGE_DATABASE_URL": pg,
                "DEVFORGE_HOME": str(root / "home"),
                "DEVFORGE_LOG_LEVEL": "warning",
            }
            base = [await _raw_baseline(bus) for _ in range(RUNS)]
            one = [await _guard_rate(bus, env, pool, 1) for _ in range(RUNS)]
            two = [await _guard_rate(bus, env, pool, 2) for _ in range(RUNS)]
            await pool.close()
            await bus.close()
        finally:
            nats.stop()
            servers.stop_postgres(root / "pg")
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
