"""The watchdog: fails jobs whose services went silent, never jobs waiting for a human.

Every ``DEVFORGE_WATCHDOG_INTERVAL`` seconds it looks for active jobs with no event for
``DEVFORGE_WATCHDOG_DEADLINE`` seconds that are not waiting on an approval, and publishes
``job.failed`` for each (deduplicated by the bus, so several watchdogs are harmless).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from shared.bus.client import Bus
from shared.jobstate import TERMINAL, Status
from shared.messages import JobFailed
from shared.service import Service, run

SILENT_JOBS = """
SELECT id, tenant_id, status, extract(epoch FROM now() - updated_at) AS silent_for
FROM jobs
WHERE status <> ALL($1::text[])
  AND status <> $2
  AND awaiting_request IS NULL
  AND updated_at < now() - make_interval(secs => $3)
ORDER BY updated_at
LIMIT 500
"""


async def sweep(pool: asyncpg.Pool[Any], bus: Bus, deadline: float) -> list[str]:
    """Fail every silent job once; return their ids."""
    rows = await pool.fetch(
        SILENT_JOBS,
        [s.value for s in TERMINAL],
        Status.AWAITING_PLAN_APPROVAL.value,
        deadline,
    )
    failed = []
    for r in rows:
        reason = (
            f"no progress for {int(r['silent_for'])} s while {r['status']} "
            f"(watchdog deadline {int(deadline)} s)"
        )
        await bus.publish_job(
            r["tenant_id"],
            r["id"],
            JobFailed(reason=reason, service="watchdog"),
            msg_id_override=f"{r['tenant_id']}.{r['id']}.job.failed.watchdog",
        )
        failed.append(r["id"])
    return failed


async def _loop(service: Service) -> None:
    assert service.pool is not None and service.bus is not None
    while True:
        try:
            failed = await sweep(service.pool, service.bus, service.settings.watchdog_deadline)
            if failed:
                service.log.warning("failed_silent_jobs", jobs=failed)
        except Exception as exc:  # keep sweeping; a broken sweep must not stop the watchdog
            service.log.error("sweep_failed", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(service.settings.watchdog_interval)


def build() -> Service:
    return Service(name="watchdog", durable=None, background=[_loop])


if __name__ == "__main__":
    run(build())
