"""What the guard does with each message. Decisions come from the pure policy in
``shared.policy``; this module reads messages, records decisions and publishes them."""

from __future__ import annotations

import asyncio
from typing import Any

from services.guard import audit
from services.guard.state import GuardState
from shared import approvals, ledger
from shared.approvals import ApprovalError
from shared.jobstate import is_terminal
from shared.messages import (
    ApprovalGranted,
    ApprovalRefused,
    FindingSummary,
    JobFailed,
    MintReply,
    MintRequest,
    PlanApproved,
    PlanAwaitingApproval,
    PlanDenied,
    StepApproved,
    StepAwaitingApproval,
    StepDenied,
    StepProposed,
    TicketAccepted,
    TicketPlanned,
    TicketRejected,
    TicketSubmitted,
    decode,
)
from shared.observe import metrics
from shared.policy.budgets import assess_spend
from shared.policy.plans import assess_plan, assess_step_budget
from shared.policy.secrets import redact, scan
from shared.policy.tool_calls import BadToolArguments, assess_tool_call
from shared.policy.verdict import Verdict, combine
from shared.service import Context, Handler, Service
from shared.settings import Settings

STATE = GuardState()


def ending_checked(handler: Handler) -> Handler:
    """Skip a message of a job that already ended (the runtime's check, done here so that
    ``step.proposed`` can overlap it with its own query)."""

    async def checked(ctx: Context, msg: Any) -> None:
        status = await ctx.job_status()
        if is_terminal(status):
            ctx.log.info("skipped", why=f"job already {status}")
            return
        await handler(ctx, msg)

    return checked


async def on_ticket_submitted(ctx: Context, msg: TicketSubmitted) -> None:
    """Secret pre-flight: a ticket that carries a secret never reaches a model."""
    findings = [FindingSummary(kind=f.kind, line=f.line) for f in scan(f"{msg.title}\n{msg.body}")]
    if findings:
        kinds = sorted({f.kind for f in findings})
        reason = f"the ticket contains {len(findings)} secret(s): {', '.join(kinds)}"
        rule_ids = [f"secrets.{k}" for k in kinds]
        await audit.record(ctx, "ticket.preflight", "deny", rule_ids, reason)
        await ctx.publish(TicketRejected(reason=reason, findings=findings))
        return
    await audit.record(ctx, "ticket.preflight", "allow", [], "no secrets in the ticket")
    await ctx.publish(TicketAccepted())


async def on_ticket_planned(ctx: Context, msg: TicketPlanned) -> None:
    """Plan rules: migrations and dependency changes need a human, whatever the model says."""
    v = assess_plan(msg.plan.tasks)
    await audit.record(ctx, "plan", v.verdict, v.rule_ids, "; ".join(v.reasons))
    if v.verdict == "allow":
        await ctx.publish(PlanApproved())
    elif v.verdict == "deny":
        await ctx.publish(PlanDenied(rule_ids=v.rule_ids, reasons=v.reasons))
    else:
        assert ctx.job_id is not None
        summary = f"plan: {len(msg.plan.tasks)} task(s): " + "; ".join(
            f"{t.kind}: {t.title}" for t in msg.plan.tasks
        )
        async with ctx.pool.acquire() as conn:
            request_id, expires = await approvals.open_request(
                conn,
                tenant=ctx.tenant,
                job_id=ctx.job_id,
                kind="plan",
                timeout_s=ctx.service.settings.approval_timeout,
                summary=redact(summary)[:2000],
                rule_ids=v.rule_ids,
            )
        await ctx.publish(
            PlanAwaitingApproval(
                request_id=request_id, rule_ids=v.rule_ids, reasons=v.reasons, expires_at=expires
            )
        )


async def _job_and_steps(ctx: Context) -> tuple[str | None, int, Verdict]:
    """The job's status, how many of its steps were decided before this message (stable on
    redelivery: this message's own row is left out) and its spend against the budgets, in one
    round trip."""
    row = await ctx.pool.fetchrow(
        "SELECT (SELECT status FROM jobs WHERE id = $2) AS status, "
        "(SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND job_id = $2 "
        " AND action = 'step' AND msg_key <> $3) AS steps, "
        f"{ledger.JOB_SPENT} AS job, {ledger.MONTH_SPENT} AS month, "
        f"{ledger.TENANT_SETTINGS} AS settings",
        ctx.tenant,
        ctx.job_id,
        audit.key(ctx),
    )
    assert row is not None
    spend = assess_spend(ledger.spend_of(row), ledger.limits(ctx.service.settings, row["settings"]))
    return row["status"], int(row["steps"] or 0), spend


def assess_call(msg: StepProposed) -> Verdict:
    """The policy's verdict on the call itself (its tool and arguments)."""
    try:
        return assess_tool_call(msg.tool, msg.arguments)
    except BadToolArguments as exc:
        return Verdict(verdict="deny", rule_ids=["tool.bad_arguments"], reasons=[str(exc)])


def decide(call: Verdict, steps_so_far: int, limit: int, *spend: Verdict) -> Verdict:
    """The whole decision for one tool call, from the policy's verdict on the call: with the
    job's step budget and, when given, its spending caps. What the handler decides with."""
    return combine(call, assess_step_budget(steps_so_far, limit), *spend)


def decide_step(msg: StepProposed, steps_so_far: int, limit: int, *spend: Verdict) -> Verdict:
    """``decide`` for a proposed step, the policy included (what bench/guard_latency times)."""
    return decide(assess_call(msg), steps_so_far, limit, *spend)


def signed(
    settings: Settings,
    tenant: str,
    job_id: str,
    step_id: str,
    tool: str,
    arguments: dict[str, Any],
    *,
    rule_ids: list[str] | None = None,
    request_id: str | None = None,
) -> StepApproved:
    """The approval of exactly this call, signed with the guard's key."""
    sig = STATE.signer(settings).sign(tenant, job_id, step_id, tool, arguments)
    return StepApproved(
        step_id=step_id,
        tool=tool,
        args_sha256=sig.args_sha256,
        signature=sig.signature,
        key_id=sig.key_id,
        rule_ids=rule_ids or [],
        request_id=request_id,
    )


async def on_step_proposed(ctx: Context, msg: StepProposed) -> None:
    assert ctx.job_id is not None
    settings = ctx.service.settings
    # The policy needs no database: it runs while the job's status and step count are fetched.
    lookup = asyncio.ensure_future(_job_and_steps(ctx))
    await asyncio.sleep(0)  # let the query be sent before the CPU-bound policy starts
    call = assess_call(msg)
    status, steps, spend = await lookup
    if is_terminal(status):
        ctx.log.info("skipped", why=f"job already {status}")
        return
    v = decide(call, steps, settings.max_steps, spend)
    record = audit.record(
        ctx,
        "step",
        v.verdict,
        v.rule_ids,
        "; ".join(v.reasons),
        details={"step_id": msg.step_id, "tool": msg.tool, "agent": msg.agent},
    )
    if v.verdict == "allow":
        approved = signed(
            settings,
            ctx.tenant,
            ctx.job_id,
            msg.step_id,
            msg.tool,
            msg.arguments,
            rule_ids=v.rule_ids,
        )
        # The audit row and the decision go out together; if either fails, both are retried
        # (the row is keyed by the message, the decision deduplicated by its id).
        await asyncio.gather(record, ctx.publish(approved))
        return
    await record
    if v.verdict == "deny":
        await ctx.publish(
            StepDenied(step_id=msg.step_id, tool=msg.tool, rule_ids=v.rule_ids, reasons=v.reasons)
        )
        if not spend.allowed:  # a cap is reached: no step and no model call can follow
            metrics.BUDGET_STOPS.labels(spend.rule_ids[0].removeprefix("budget."), "guard").inc()
            await ctx.fail_job("; ".join(spend.reasons))
    else:
        summary = redact(f"{msg.tool} {_brief(msg.arguments)}")[:500]
        async with ctx.pool.acquire() as conn:
            request_id, expires = await approvals.open_request(
                conn,
                tenant=ctx.tenant,
                job_id=ctx.job_id,
                kind="step",
                step_id=msg.step_id,
                tool=msg.tool,
                arguments=msg.arguments,
                timeout_s=settings.approval_timeout,
                summary=summary,
                rule_ids=v.rule_ids,
            )
        await ctx.publish(
            StepAwaitingApproval(
                step_id=msg.step_id,
                request_id=request_id,
                tool=msg.tool,
                summary=summary,
                rule_ids=v.rule_ids,
                reasons=v.reasons,
                expires_at=expires,
            )
        )


def _brief(arguments: dict[str, Any]) -> str:
    if "command" in arguments:
        return str(arguments["command"])
    if "path" in arguments:
        return str(arguments["path"])
    return ", ".join(sorted(arguments))


async def on_approval(ctx: Context, msg: ApprovalGranted | ApprovalRefused) -> None:
    """A token delivered by any client: verify it once, then release or refuse the action."""
    assert ctx.job_id is not None
    grant = isinstance(msg, ApprovalGranted)
    reason = msg.reason if isinstance(msg, ApprovalRefused) else ""
    try:
        req = await approvals.consume(
            ctx.pool,
            tenant=ctx.tenant,
            job_id=ctx.job_id,
            request_id=msg.request_id,
            token=msg.token,
            grant=grant,
            reason=reason,
        )
    except ApprovalError as exc:
        await audit.record(
            ctx,
            "approval.token",
            "deny",
            ["approval.invalid_token"],
            str(exc),
            details={"request_id": msg.request_id},
        )
        return
    who = f"{req.approver}{' (break-glass)' if req.break_glass else ''}"
    await audit.record(
        ctx,
        f"approval.{'granted' if grant else 'refused'}",
        "allow" if grant else "deny",
        [],
        f"{'granted' if grant else 'refused'} by {who}" + (f": {reason}" if reason else ""),
        actor=req.approver or "unknown",
        details={"request_id": req.request_id},
    )
    await release(ctx.service, ctx.tenant, ctx.job_id, req, grant, f"refused by {who}")


async def release(
    service: Service, tenant: str, job_id: str, req: approvals.Request, grant: bool, why: str
) -> None:
    """Publish the decision a resolved request stands for."""
    assert service.bus is not None
    bus = service.bus
    if req.kind == "plan":
        msg: Any = (
            PlanApproved(request_id=req.request_id, approver=req.approver)
            if grant
            else PlanDenied(rule_ids=["approval.refused"], reasons=[why])
        )
        await bus.publish_job(tenant, job_id, msg)
        return
    assert req.step_id and req.tool is not None and req.arguments is not None
    if grant:
        msg = signed(
            service.settings,
            tenant,
            job_id,
            req.step_id,
            req.tool,
            req.arguments,
            request_id=req.request_id,
        )
    else:
        msg = StepDenied(
            step_id=req.step_id, tool=req.tool, rule_ids=["approval.refused"], reasons=[why]
        )
    await bus.publish_job(tenant, job_id, msg)


async def mint(service: Service, data: bytes) -> dict[str, Any]:
    """``devforge.rpc.guard.mint``: a one-time token for a pending request."""
    assert service.pool is not None
    req = decode(MintRequest, data)
    try:
        minted = await approvals.mint(
            service.pool,
            tenant=req.tenant,
            request_id=req.request_id,
            approver=req.approver,
            minted_by=req.minted_by,
            ttl_s=service.settings.approval_token_ttl,
            break_glass=req.break_glass,
        )
    except ApprovalError as exc:
        return MintReply(error=str(exc)).model_dump(mode="json")
    await service.pool.execute(
        "INSERT INTO audit_log (tenant_id, job_id, actor, action, verdict, reason, details) "
        "SELECT tenant_id, job_id, $2, 'approval.minted', NULL, $3, $4::jsonb "
        "FROM approvals WHERE request_id = $1",
        req.request_id,
        req.approver,
        f"token minted by {req.minted_by}" + (" (break-glass)" if req.break_glass else ""),
        {"request_id": req.request_id, "break_glass": req.break_glass},
    )
    return MintReply(
        token=minted.token, job_id=minted.job_id, expires_at=minted.expires_at
    ).model_dump(mode="json")


async def expire_loop(service: Service) -> None:
    """Deny every request that waited past ``DEVFORGE_APPROVAL_TIMEOUT`` and fail its job."""

    assert service.pool is not None and service.bus is not None
    while True:
        try:
            for req in await approvals.expire_due(service.pool):
                await release(service, req.tenant_id, req.job_id, req, False, "approval timeout")
                await service.bus.publish_job(
                    req.tenant_id,
                    req.job_id,
                    JobFailed(reason="approval timeout", service="guard"),
                )
        except Exception as exc:  # the sweep must outlive a bad row or a bus hiccup
            service.log.error("expire_failed", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(min(5.0, service.settings.approval_timeout / 4))
