"""Acting on jobs for a person (cancel, retry): one implementation for the CLI and the gateway.
Every lookup is scoped to the caller's tenant; a job of another tenant is simply not found."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.bus import history
from shared.bus.client import Bus
from shared.ids import new_job_id
from shared.jobstate import is_terminal
from shared.messages import JobCancelled, TicketSubmitted


class JobNotFound(LookupError):
    pass


class JobConflict(ValueError):
    """The job is in a state that does not allow the action."""


async def status_of(pool: asyncpg.Pool[Any], tenant: str, job_id: str) -> str:
    status = await pool.fetchval(
        "SELECT status FROM jobs WHERE id = $1 AND tenant_id = $2", job_id, tenant
    )
    if status is None:
        raise JobNotFound(f"no job {job_id} for tenant {tenant}")
    return str(status)


async def cancel(
    pool: asyncpg.Pool[Any], bus: Bus, tenant: str, job_id: str, *, by: str, reason: str = ""
) -> None:
    status = await status_of(pool, tenant, job_id)
    if is_terminal(status):
        raise JobConflict(f"job {job_id} already ended ({status})")
    await bus.publish_job(tenant, job_id, JobCancelled(by=by, reason=reason))


async def retry(pool: asyncpg.Pool[Any], bus: Bus, tenant: str, job_id: str) -> str:
    """Submit an unsuccessful job's ticket again, as a new job; the new job's id."""
    status = await status_of(pool, tenant, job_id)
    if status not in ("failed", "cancelled", "rejected"):
        raise JobConflict(f"job {job_id} is {status}: only ended, unsuccessful jobs retry")
    ticket = history.first(
        await history.read(bus.js, tenant, job_id, event="ticket.submitted"), "ticket.submitted"
    )
    if ticket is None:
        raise JobNotFound(f"job {job_id} has no ticket in the event log any more")
    new = new_job_id()
    msg = TicketSubmitted.model_validate({k: v for k, v in ticket.items() if k != "at"})
    await bus.publish_job(tenant, new, msg)
    return new
