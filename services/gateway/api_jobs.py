"""``/v1`` jobs and approvals: tickets in, decisions in, state out. Every query is scoped to the
caller's tenant; another tenant's object is a 404, never a 403 (its existence is not revealed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from services.gateway import sse
from services.gateway.auth import Principal
from services.gateway.deps import gw, principal, require
from shared import approvals, jobs, registry
from shared.ids import InvalidId, check_job_id, check_token, new_job_id
from shared.messages import ApprovalGranted, ApprovalRefused, TicketSubmitted
from shared.observe.tracing import trace_url
from shared.policy.secrets import scan

router = APIRouter(prefix="/v1")
Caller = Depends(principal)


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repo: str = Field(min_length=1, max_length=63)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20000)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


def _not_found(what: str) -> HTTPException:
    return HTTPException(404, detail=f"no {what}")


def _job_id(job_id: str) -> str:
    try:
        return check_job_id(job_id)
    except InvalidId:
        raise _not_found(f"job {job_id!r}") from None


async def _job_row(request: Request, p: Principal, job_id: str) -> dict[str, Any]:
    row = await gw(request).pool.fetchrow(
        "SELECT id, repo_id, title, submitted_by, status, awaiting_request, failure_reason, "
        "last_seq, created_at, updated_at FROM jobs WHERE id = $1 AND tenant_id = $2",
        _job_id(job_id),
        p.tenant,
    )
    if row is None:
        raise _not_found(f"job {job_id!r}")
    return dict(row)


@router.get("/me")
async def me(p: Principal = Caller) -> dict[str, Any]:
    return {"tenant": p.tenant, "subject": p.subject, "role": p.role, "operator": p.operator}


@router.post("/jobs", status_code=202)
async def submit(ticket: TicketIn, request: Request, p: Principal = Caller) -> dict[str, Any]:
    g = gw(request)
    require(p, "submit")
    findings = scan(f"{ticket.title}\n{ticket.body}")
    if findings:
        kinds = sorted({f.kind for f in findings})
        raise HTTPException(
            422, detail=f"the ticket contains a secret ({', '.join(kinds)}); remove it and resend"
        )
    try:
        repo = await registry.get_repo(g.pool, p.tenant, check_token(ticket.repo, "repository"))
    except (LookupError, InvalidId):
        raise HTTPException(422, detail=f"no repository {ticket.repo!r} in your tenant") from None
    if not g.allow_submission(p.tenant):
        raise HTTPException(429, detail="too many tickets this minute; try again shortly")
    job = new_job_id()
    msg = TicketSubmitted(
        repo=repo.id, title=ticket.title, body=ticket.body, submitted_by=p.subject
    )
    await g.bus.publish_job(p.tenant, job, msg)
    return {"job_id": job, "events_url": f"/v1/jobs/{job}/events", "status": "submitted"}


@router.get("/jobs")
async def list_jobs(
    request: Request,
    p: Principal = Caller,
    status: str | None = Query(None, max_length=40),
    q: str | None = Query(None, max_length=200, description="text in the title"),
    limit: int = Query(50, ge=1, le=200),
    before: datetime | None = Query(None, description="created before (the next page)"),
) -> dict[str, Any]:
    rows = await gw(request).pool.fetch(
        "SELECT id, repo_id, title, submitted_by, status, failure_reason, created_at, updated_at "
        "FROM jobs WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) "
        "AND ($3::text IS NULL OR title ILIKE '%' || $3 || '%') "
        "AND ($4::timestamptz IS NULL OR created_at < $4) "
        "ORDER BY created_at DESC, id DESC LIMIT $5",
        p.tenant,
        status,
        q,
        before,
        limit,
    )
    items = [dict(r) for r in rows]
    nxt = items[-1]["created_at"].isoformat() if len(items) == limit else None
    return {"items": items, "next_before": nxt}


@router.get("/jobs/{job_id}")
async def job_detail(job_id: str, request: Request, p: Principal = Caller) -> dict[str, Any]:
    g = gw(request)
    job = await _job_row(request, p, job_id)
    pr = await g.pool.fetchrow(
        "SELECT number, url, branch, base FROM pull_requests WHERE job_id = $1 AND tenant_id = $2",
        job["id"],
        p.tenant,
    )
    cost = await g.pool.fetchval(
        "SELECT coalesce(sum(cost_usd), 0) FROM costs WHERE job_id = $1 AND tenant_id = $2",
        job["id"],
        p.tenant,
    )
    return {
        **job,
        "pull_request": dict(pr) if pr else None,
        "cost_usd": float(cost),
        "trace_url": trace_url(g.settings, job["id"]),
    }


@router.get("/jobs/{job_id}/timeline")
async def timeline(job_id: str, request: Request, p: Principal = Caller) -> dict[str, Any]:
    job = await _job_row(request, p, job_id)
    rows = await gw(request).pool.fetch(
        "SELECT stream_seq, event, body, at FROM job_events WHERE tenant_id = $1 AND job_id = $2 "
        "ORDER BY stream_seq",
        p.tenant,
        job["id"],
    )
    return {"job_id": job["id"], "events": [dict(r) for r in rows]}


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse)
async def events(job_id: str, request: Request, p: Principal = Caller) -> StreamingResponse:
    job = await _job_row(request, p, job_id)
    after = sse.resume_point(request.headers.get("last-event-id"))
    return sse.response(gw(request), p.tenant, job["id"], after, request)


@router.post("/jobs/{job_id}/cancel", status_code=202)
async def cancel(job_id: str, request: Request, p: Principal = Caller) -> dict[str, Any]:
    g = gw(request)
    require(p, "submit")
    try:
        await jobs.cancel(g.pool, g.bus, p.tenant, _job_id(job_id), by=f"user:{p.subject}")
    except jobs.JobNotFound:
        raise _not_found(f"job {job_id!r}") from None
    except jobs.JobConflict as exc:
        raise HTTPException(409, detail=str(exc)) from None
    return {"job_id": job_id, "status": "cancelling"}


@router.post("/jobs/{job_id}/retry", status_code=202)
async def retry(job_id: str, request: Request, p: Principal = Caller) -> dict[str, Any]:
    g = gw(request)
    require(p, "submit")
    try:
        new = await jobs.retry(g.pool, g.bus, p.tenant, _job_id(job_id))
    except jobs.JobNotFound:
        raise _not_found(f"job {job_id!r}") from None
    except jobs.JobConflict as exc:
        raise HTTPException(409, detail=str(exc)) from None
    return {"job_id": new, "retry_of": job_id, "events_url": f"/v1/jobs/{new}/events"}


@router.get("/approvals")
async def list_approvals(
    request: Request,
    p: Principal = Caller,
    status: str | None = Query(None, max_length=20, description="pending, granted, refused ..."),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    rows = await gw(request).pool.fetch(
        "SELECT a.request_id, a.job_id, a.kind, a.step_id, a.tool, a.summary, a.rule_ids, "
        "a.status, a.expires_at, a.approver, a.break_glass, a.decided_at, a.reason, "
        "a.created_at, j.title, j.submitted_by FROM approvals a JOIN jobs j ON j.id = a.job_id "
        "WHERE a.tenant_id = $1 AND ($2::text IS NULL OR a.status = $2) "
        "ORDER BY a.created_at DESC LIMIT $3",
        p.tenant,
        status,
        limit,
    )
    return {"items": [dict(r) for r in rows]}


async def _mint(request: Request, p: Principal, request_id: str) -> tuple[str, str]:
    """(token, job id) for this approver, after the tenant's self-approval policy."""
    g = gw(request)
    try:
        rid = check_token(request_id, "request id")
    except InvalidId:
        raise _not_found(f"approval request {request_id!r}") from None
    req = await approvals.get(g.pool, p.tenant, rid)
    if req is None:  # looked up first: another tenant's request is a 404 whatever the role
        raise _not_found(f"approval request {request_id!r}")
    require(p, "approve")
    if not p.operator:
        owner = await g.pool.fetchval("SELECT submitted_by FROM jobs WHERE id = $1", req.job_id)
        policy = await g.pool.fetchval("SELECT settings FROM tenants WHERE id = $1", p.tenant)
        if owner == p.subject and not (policy or {}).get("allow_self_approval", False):
            raise HTTPException(403, detail="you submitted this job: someone else must approve")
    reply = await g.bus.mint(
        p.tenant,
        rid,
        approver=p.subject,
        minted_by="operator" if p.operator else "gateway",
        break_glass=p.operator,
    )
    if reply.error or not reply.token:
        raise HTTPException(409, detail=reply.error or "the guard minted no token")
    return reply.token, req.job_id


@router.post("/approvals/{request_id}/approve", status_code=202)
async def approve(request_id: str, request: Request, p: Principal = Caller) -> dict[str, Any]:
    token, job_id = await _mint(request, p, request_id)
    msg = ApprovalGranted(request_id=request_id, token=token)
    await gw(request).bus.publish_job(p.tenant, job_id, msg)
    return {"request_id": request_id, "job_id": job_id, "status": "granted"}


@router.post("/approvals/{request_id}/refuse", status_code=202)
async def refuse(
    request_id: str, request: Request, decision: Decision | None = None, p: Principal = Caller
) -> dict[str, Any]:
    token, job_id = await _mint(request, p, request_id)
    reason = decision.reason if decision else ""
    msg = ApprovalRefused(request_id=request_id, token=token, reason=reason)
    await gw(request).bus.publish_job(p.tenant, job_id, msg)
    return {"request_id": request_id, "job_id": job_id, "status": "refused"}


@router.post("/approvals/{request_id}/token")
async def token(request_id: str, request: Request, p: Principal = Caller) -> JSONResponse:
    """A one-time token for a client that delivers the decision itself (CLI, chat bot)."""
    value, job_id = await _mint(request, p, request_id)
    body = {"request_id": request_id, "job_id": job_id, "token": value}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
