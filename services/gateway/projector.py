"""The projector: keeps the PostgreSQL read model (jobs, job_events, costs) current from the bus.

It reads every job event in stream order (its durable allows one message in flight), records it
once (keyed by stream sequence) and moves the job's status by the state machine. An event that
may not follow the current status is recorded with ``applied = false`` and logged, never lost.
"""

from __future__ import annotations

from typing import Any

from shared import jobstate
from shared.messages import (
    CostUpdated,
    JobFailed,
    Message,
    PlanAwaitingApproval,
    StepAwaitingApproval,
    TicketSubmitted,
)
from shared.service import Context, Service, run

CLEARS_WAIT = ("plan.approved", "plan.denied", "step.approved", "step.denied")


async def project(ctx: Context, msg: Message) -> None:
    assert ctx.job_id is not None
    async with ctx.pool.acquire() as conn, conn.transaction():
        status_row = await conn.fetchrow(
            "SELECT status FROM jobs WHERE id = $1 FOR UPDATE", ctx.job_id
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


def _awaits(msg: Message) -> str | None:
    if isinstance(msg, PlanAwaitingApproval | StepAwaitingApproval):
        return msg.request_id
    return None


async def _record_cost(conn: Any, ctx: Context, msg: CostUpdated) -> None:
    await conn.execute(
        "INSERT INTO costs (call_id, tenant_id, job_id, agent, model, input_tokens, "
        "output_tokens, cost_usd) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT DO NOTHING",
        msg.call_id,
        ctx.tenant,
        ctx.job_id,
        msg.agent,
        msg.model,
        msg.input_tokens,
        msg.output_tokens,
        msg.cost_usd,
    )


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
