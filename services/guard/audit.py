"""The guard's audit trail: one row per decision, written once per message (never a secret)."""

from __future__ import annotations

from typing import Any

from shared.observe import metrics
from shared.service import Context


def key(ctx: Context) -> str:
    """The audit row's unique key: one decision per message, so a redelivery writes nothing."""
    return f"{ctx.service.name}.{ctx.stream_seq}"


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
    """Write the decision to ``audit_log`` exactly once for this message (one statement)."""
    metrics.GUARD_VERDICTS.labels(action, verdict).inc()
    await ctx.pool.execute(
        "INSERT INTO audit_log (tenant_id, job_id, actor, action, verdict, rule_ids, reason, "
        "details, msg_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) "
        "ON CONFLICT (msg_key) DO NOTHING",
        ctx.tenant,
        ctx.job_id,
        actor,
        action,
        verdict,
        rule_ids,
        reason,
        details or {},
        key(ctx),
    )
