"""The projector: keeps the PostgreSQL read model (jobs, job_events, costs) current from the bus.

It reads every job event in stream order (its durable allows one message in flight), records it
once (keyed by stream sequence) and moves the job's status by the state machine. An event that
may not follow the current status is recorded with ``applied = false`` and logged, never lost.
When a job ends, it emits the root span of the job's trace (``shared.observe.tracing``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared import jobstate, ledger
from shared.messages import (
    CostUpdated,
    JobFailed,
    Message,
    PlanAwaitingApproval,
    StepAwaitingApproval,
    TicketSubmitted,
)
from shared.observe import tracing as otel
from shared.service import Context, Service, run

CLEARS_WAIT = ("plan.approved", "plan.denied", "step.approved", "step.denied")


async def project(ctx: Context, msg: Message) -> None:
    assert ctx.job_id is not None
    async with ctx.pool.acquire() as conn, conn.transaction():
        status_row = await conn.fetchrow(
            "SELECT status, title, submitted_by, created_at FROM jobs WHERE id = $1 FOR UPDATE",
            ctx.job_id,
        )
        current = jobstate.Status(status_row["status"]) if status_row else None
        new: jobstate.Status | None
        try:
            new = jobstate.apply(current, ctx.event)
            applied = True
        except jobstate.IllegalTransition as exc:
            ctx.log.warning("out_of_order_event", reason=str(exc))
            new, applied = current, False
        inserted = await conn.fetchval(
            "INSERT INTO job_events (stream_seq, tenant_id, job_id, event, body, applied) "
            "VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT DO NOTHING RETURNING 1",
            ctx.stream_seq,
            ctx.tenant,
            ctx.job_id,
            ctx.event,
            msg.model_dump(mode="json"),
            applied,
        )
        if not inserted or not applied or new is None:
            return
        if isinstance(msg, TicketSubmitted):
            await conn.execute(
                "INSERT INTO jobs (id, tenant_id, repo_id, title, submitted_by, status, last_seq) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                ctx.job_id,
                ctx.tenant,
                msg.repo,
                msg.title,
                msg.submitted_by,
                new.value,
                ctx.stream_seq,
            )
            return
        await conn.execute(
            "UPDATE jobs SET status = $2, last_seq = $3, updated_at = now(), "
            "awaiting_request = CASE WHEN $4::text IS NOT NULL THEN $4::text "
            "  WHEN $5 THEN NULL ELSE awaiting_request END, "
            "failure_reason = COALESCE($6, failure_reason) WHERE id = $1",
            ctx.job_id,
            new.value,
            ctx.stream_seq,
            _awaits(msg),
            ctx.event in CLEARS_WAIT,
            msg.reason if isinstance(msg, JobFailed) else None,
        )
        if isinstance(msg, CostUpdated):
            await _record_cost(conn, ctx, msg)
        if status_row is not None and jobstate.is_terminal(new) and new != current:
            await _trace_root(conn, ctx, dict(status_row), new, msg)


def _awaits(msg: Message) -> str | None:
    if isinstance(msg, PlanAwaitingApproval | StepAwaitingApproval):
        return msg.request_id
    return None


async def _record_cost(conn: Any, ctx: Context, msg: CostUpdated) -> None:
    """The agent that made the call recorded it already; this covers any other publisher."""
    assert ctx.job_id is not None
    entry = ledger.Entry(
        call_id=msg.call_id,
        tenant=ctx.tenant,
        job_id=ctx.job_id,
        agent=msg.agent,
        role=msg.role,
        model=msg.model,
        input_tokens=msg.input_tokens,
        output_tokens=msg.output_tokens,
        cost_usd=msg.cost_usd,
        source=msg.source,
        task_id=msg.task_id,
        round=msg.round,
        turn=msg.turn,
    )
    await ledger.record(conn, entry)


async def _trace_root(
    conn: Any, ctx: Context, job: dict[str, Any], status: jobstate.Status, msg: Message
) -> None:
    if not otel.enabled():
        return
    assert ctx.job_id is not None
    cost = await conn.fetchval(
        "SELECT coalesce(sum(cost_usd), 0) FROM costs WHERE tenant_id = $1 AND job_id = $2",
        ctx.tenant,
        ctx.job_id,
    )
    attrs = {
        "langfuse.trace.name": f"job {ctx.job_id}",
        "langfuse.user.id": job["submitted_by"],
        "langfuse.trace.input": job["title"],
        "langfuse.trace.output": getattr(msg, "reason", None) or status.value,
        "devforge.tenant": ctx.tenant,
        "devforge.job": ctx.job_id,
        "devforge.status": status.value,
        "devforge.cost_usd": float(cost),
    }
    otel.emit_job_root(ctx.job_id, job["created_at"], datetime.now(UTC), attrs)


def build() -> Service:
    from shared.messages import JOB_MODELS

    return Service(
        name="projector",
        durable="projector",
        handlers=dict.fromkeys(JOB_MODELS, project),
        skip_terminal=False,
    )


if __name__ == "__main__":
    run(build())
