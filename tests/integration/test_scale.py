"""Two instances of one service, as two OS processes on one durable consumer, split the work
and process every message exactly once (acceptance of the foundation issue)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg

from shared.bus.client import Bus
from shared.ids import new_job_id
from shared.messages import TicketSubmitted
from tests.support.running import collecting, eventually

N = 60


async def test_two_guard_processes_share_one_durable(
    bus: Bus, registered: str, pool: asyncpg.Pool[Any], service_env: dict[str, str], tmp_path: Path
) -> None:
    logs = [tmp_path / f"guard-{i}.log" for i in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "services.guard"],
            env=service_env,
            stderr=log.open("wb"),
            stdout=subprocess.DEVNULL,
        )
        for log in logs
    ]
    ready = Path(service_env["DEVFORGE_HOME"]) / "run" / "ready"
    try:

        async def both_ready() -> bool:
            return ready.exists() and len(list(ready.glob("guard.*"))) == 2

        await eventually(both_ready, timeout=30)
        jobs = [new_job_id() for _ in range(N)]
        ticket = TicketSubmitted(repo="shop", title="Add /health", submitted_by="ann")
        async with collecting(bus, f"devforge.{registered}.job.*.ticket.accepted") as col:
            for job in jobs:
                await bus.publish_job(registered, job, ticket)

            async def all_accepted() -> int:
                n = len(col.items)
                return n if n >= N else 0

            await eventually(all_accepted, timeout=60)
            await asyncio.sleep(1.0)  # a duplicate would arrive now
        accepted = [subj.split(".")[3] for subj in col.subjects(".ticket.accepted")]
        assert sorted(accepted) == sorted(jobs), "every job accepted exactly once"
        audits = await pool.fetch(
            "SELECT job_id, count(*) AS n FROM audit_log WHERE tenant_id = $1 GROUP BY job_id",
            registered,
        )
        assert {r["job_id"] for r in audits} == set(jobs)
        assert all(r["n"] == 1 for r in audits)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
    handled = [_handled(log, registered) for log in logs]
    assert all(h > 0 for h in handled), f"both processes took work: {handled}"
    assert sum(handled) == N


def _handled(log: Path, tenant: str) -> int:
    n = 0
    for line in log.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("event") == "handled" and rec.get("tenant") == tenant:
            n += 1
    return n
