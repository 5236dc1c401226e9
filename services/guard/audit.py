"""The guard's audit trail: one row per decision, written once per message (never a secret)."""

from __future__ import annotations

from typing import Any

from shared.service import Context


async def record(
    ctx: Context,
    action: str,
    verdict: str,
    rule_ids: list[str],
    reason: str,
    *,
    actor: str = "guard",
    details: dict[str, Any] | None = None,
) -> None:
    """Write the decision to ``audit_log`` exactly once for this message."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await ctx.once(f"audit.{ctx.stream_seq}", conn):
            return
        await conn.execute(
            "INSERT INTO audit_log (tenant_id, job_id, actor, action, verdict, rule_ids, reason, "
            "details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
            ctx.tenant,
            ctx.job_id,
            actor,
            action,
            verdict,
            rule_ids,
            reason,
            details or {},
        )
