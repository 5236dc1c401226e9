"""The cost ledger in PostgreSQL: what each model call cost (``costs``), what calls in flight may
still cost (``cost_reservations``), and the budget check that decides between the two.

A reservation is made under a per-tenant transaction lock, so two calls of one tenant (even in
two processes) never both pass a check that only one of them fits under. A reservation of a
process that died lapses after ``HELD_FOR``. The decision itself is ``shared.policy.budgets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.policy import budgets
from shared.settings import Settings

HELD_FOR = "interval '1 hour'"  # longer than any model call with all its retries and fallbacks
MONTH_START = "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"

# Subqueries over $1 (tenant) and $2 (job), for the guard to fold into its own query.
JOB_SPENT = "(SELECT coalesce(sum(cost_usd), 0) FROM costs WHERE tenant_id = $1 AND job_id = $2)"
MONTH_SPENT = (
    f"(SELECT coalesce(sum(cost_usd), 0) FROM costs WHERE tenant_id = $1 AND at >= {MONTH_START})"
)
TENANT_SETTINGS = "(SELECT settings FROM tenants WHERE id = $1)"
_HELD_JOB = (
    "(SELECT coalesce(sum(ceiling_usd), 0) FROM cost_reservations "
    f"WHERE tenant_id = $1 AND job_id = $2 AND at > now() - {HELD_FOR})"
)
_HELD_MONTH = (
    "(SELECT coalesce(sum(ceiling_usd), 0) FROM cost_reservations "
    f"WHERE tenant_id = $1 AND at > now() - {HELD_FOR})"
)


@dataclass(frozen=True)
class Entry:
    """One answered model call, as recorded."""

    call_id: str
    tenant: str
    job_id: str
    agent: str  # the agent run (e.g. backend-t1-r1)
    role: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    source: str
    task_id: str | None = None
    round: int = 1
    turn: int | None = None


def limits(settings: Settings, tenant_settings: Any) -> budgets.Limits:
    own = tenant_settings if isinstance(tenant_settings, dict) else {}
    return budgets.limits_for(settings.job_budget_usd, settings.tenant_monthly_budget_usd, own)


def spend_of(row: Any) -> budgets.Spend:
    return budgets.Spend(float(row["job"]), float(row["month"]))


async def reserve(
    pool: asyncpg.Pool[Any],
    settings: Settings,
    *,
    tenant: str,
    job_id: str,
    call_id: str,
    ceiling_usd: float,
    what: str,
) -> budgets.Refusal | None:
    """Hold ``ceiling_usd`` for a call, or return why it may not be made (nothing held)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('devforge-budget:' || $1, 0))", tenant
        )
        row = await conn.fetchrow(
            f"SELECT {JOB_SPENT} + {_HELD_JOB} AS job, {MONTH_SPENT} + {_HELD_MONTH} AS month, "
            f"{TENANT_SETTINGS} AS settings",
            tenant,
            job_id,
        )
        assert row is not None
        refused = budgets.refusal(
            spend_of(row), limits(settings, row["settings"]), ceiling_usd, what
        )
        if refused is not None:
            return refused
        await conn.execute(
            "INSERT INTO cost_reservations (call_id, tenant_id, job_id, ceiling_usd) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (call_id) DO NOTHING",
            call_id,
            tenant,
            job_id,
            ceiling_usd,
        )
    return None


async def settle(pool: asyncpg.Pool[Any], entry: Entry) -> None:
    """Record the call's cost in place of its reservation (once: the call id is unique)."""
    async with pool.acquire() as conn, conn.transaction():
        await record(conn, entry)
        await conn.execute("DELETE FROM cost_reservations WHERE call_id = $1", entry.call_id)


async def release(pool: asyncpg.Pool[Any], call_id: str) -> None:
    await pool.execute("DELETE FROM cost_reservations WHERE call_id = $1", call_id)


async def record(conn: Any, entry: Entry) -> None:
    await conn.execute(
        "INSERT INTO costs (call_id, tenant_id, job_id, agent, role, model, input_tokens, "
        "output_tokens, cost_usd, source, task_id, round, turn) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
        "ON CONFLICT (call_id) DO NOTHING",
        entry.call_id,
        entry.tenant,
        entry.job_id,
        entry.agent,
        entry.role,
        entry.model,
        entry.input_tokens,
        entry.output_tokens,
        entry.cost_usd,
        entry.source,
        entry.task_id,
        entry.round,
        entry.turn,
    )


async def job_summaries(pool: asyncpg.Pool[Any], tenant: str) -> list[dict[str, Any]]:
    """Per job of the tenant that spent anything: calls, tokens, dollars (newest first)."""
    rows = await pool.fetch(
        "SELECT c.job_id, j.title, j.status, count(*) AS calls, "
        "sum(c.input_tokens) AS input_tokens, sum(c.output_tokens) AS output_tokens, "
        "sum(c.cost_usd) AS cost_usd, max(c.at) AS last_at "
        "FROM costs c LEFT JOIN jobs j ON j.id = c.job_id AND j.tenant_id = c.tenant_id "
        "WHERE c.tenant_id = $1 GROUP BY c.job_id, j.title, j.status ORDER BY last_at DESC",
        tenant,
    )
    return [dict(r) for r in rows]


async def job_calls(pool: asyncpg.Pool[Any], tenant: str, job_id: str) -> list[dict[str, Any]]:
    """Every model call of one job, in order."""
    rows = await pool.fetch(
        "SELECT at, agent, role, task_id, round, turn, model, input_tokens, output_tokens, "
        "cost_usd, source FROM costs WHERE tenant_id = $1 AND job_id = $2 ORDER BY at, call_id",
        tenant,
        job_id,
    )
    return [dict(r) for r in rows]


async def budget_state(
    pool: asyncpg.Pool[Any], settings: Settings, tenant: str, job_id: str = ""
) -> tuple[budgets.Limits, budgets.Spend]:
    """The caps in force for the tenant and what is spent (the job's, if one is named)."""
    row = await pool.fetchrow(
        f"SELECT {JOB_SPENT} AS job, {MONTH_SPENT} AS month, {TENANT_SETTINGS} AS settings",
        tenant,
        job_id,
    )
    assert row is not None
    return limits(settings, row["settings"]), spend_of(row)


async def set_tenant_budgets(
    pool: asyncpg.Pool[Any], tenant: str, overrides: dict[str, float | None]
) -> bool:
    """Set (a number) or clear (None) the tenant's own caps; False if there is no such tenant."""
    keep = {k: v for k, v in overrides.items() if v is not None}
    drop = [k for k, v in overrides.items() if v is None]
    done = await pool.fetchval(
        "UPDATE tenants SET settings = (settings - $3::text[]) || $2::jsonb WHERE id = $1 "
        "RETURNING 1",
        tenant,
        keep,
        drop,
    )
    return done is not None
