"""``/v1`` of a tenant's own things: repositories, pull requests (with diffs), costs, the audit
log and the tenant's settings (policies). Scoped to the caller's tenant like every route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.auth import Principal
from services.gateway.deps import gw, principal, require
from shared import registry
from shared.forge.local import LocalForge
from shared.ids import InvalidId, check_job_id, slugify

router = APIRouter(prefix="/v1")
Caller = Depends(principal)


class RepoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=63)
    url: str = Field(min_length=1, max_length=2000, description="git URL, or a local path")
    default_branch: str = Field(default="main", min_length=1, max_length=200)
    test_command: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="how its tests run (split as a shell would, run in the sandbox)",
    )


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allow_self_approval: bool = False


def _is_git_repo(path: str) -> bool:
    p = Path(path)
    return p.is_absolute() and (p / ".git").exists()


@router.get("/repos")
async def repos(request: Request, p: Principal = Caller) -> dict[str, Any]:
    found = await registry.list_repos(gw(request).pool, p.tenant)
    return {
        "items": [
            {
                "name": r.id,
                "url": r.url,
                "default_branch": r.default_branch,
                "test_command": r.test_command,
            }
            for r in found
        ]
    }


@router.post("/repos", status_code=201)
async def connect_repo(repo: RepoIn, request: Request, p: Principal = Caller) -> dict[str, Any]:
    g = gw(request)
    require(p, "admin")
    try:
        name = slugify(repo.name)
    except InvalidId as exc:
        raise HTTPException(422, detail=str(exc)) from None
    url = repo.url
    local = "://" not in url or url.startswith("file:")
    if local and not p.operator:  # paths on the gateway's disk: the operator's business only
        raise HTTPException(403, detail="only the operator connects local repositories")
    if local and "://" not in url:  # the embedded stack: a local path on this machine
        if not _is_git_repo(url):
            raise HTTPException(422, detail="a local repository must be a git repository's path")
        url = f"file://{url}"
    elif not url.startswith(("https://", "file://")):
        raise HTTPException(422, detail="a repository URL must be https:// (or a local path)")
    try:
        added = await registry.add_repo(
            g.pool, g.bus, p.tenant, name, url, repo.default_branch, repo.test_command
        )
    except registry.Conflict as exc:
        raise HTTPException(409, detail=str(exc)) from None
    except ValueError as exc:  # the test command cannot be read
        raise HTTPException(422, detail=str(exc)) from None
    return {
        "name": name,
        "url": url,
        "default_branch": repo.default_branch,
        "test_command": added.test_command,
    }


@router.get("/prs")
async def prs(request: Request, p: Principal = Caller) -> dict[str, Any]:
    rows = await gw(request).pool.fetch(
        "SELECT p.job_id, p.repo_id, p.number, p.url, p.branch, p.base, p.title, p.state "
        "FROM pull_requests p WHERE p.tenant_id = $1 "
        "ORDER BY p.number DESC",
        p.tenant,
    )
    return {"items": [dict(r) for r in rows]}


@router.get("/prs/{job_id}")
async def pr(
    job_id: str, request: Request, p: Principal = Caller, stat: bool = Query(False)
) -> dict[str, Any]:
    g = gw(request)
    try:
        check_job_id(job_id)
    except InvalidId:
        raise HTTPException(404, detail=f"no pull request for job {job_id!r}") from None
    row = await g.pool.fetchrow(
        "SELECT job_id, repo_id, number, url, branch, base, title, body, state, head "
        "FROM pull_requests "
        "WHERE job_id = $1 AND tenant_id = $2",
        job_id,
        p.tenant,
    )
    if row is None:
        raise HTTPException(404, detail=f"no pull request for job {job_id!r}")
    diff = None
    if str(row["url"]).startswith("local://"):  # the local forge keeps the diff itself
        forge = LocalForge(g.settings.home, g.pool)
        diff = await forge.diff(p.tenant, row["repo_id"], job_id, row["base"], stat)
    return {**dict(row), "diff": diff}


@router.get("/costs")
async def costs(request: Request, p: Principal = Caller) -> dict[str, Any]:
    rows = await gw(request).pool.fetch(
        "SELECT job_id, sum(cost_usd)::float AS cost_usd, sum(input_tokens) AS input_tokens, "
        "sum(output_tokens) AS output_tokens FROM costs WHERE tenant_id = $1 "
        "GROUP BY job_id ORDER BY job_id DESC",
        p.tenant,
    )
    return {"items": [dict(r) for r in rows]}


@router.get("/audit")
async def audit(
    request: Request,
    p: Principal = Caller,
    job_id: str | None = Query(None, max_length=40),
    limit: int = Query(200, ge=1, le=1000),
) -> dict[str, Any]:
    rows = await gw(request).pool.fetch(
        "SELECT id, job_id, actor, action, verdict, rule_ids, reason, details, at FROM audit_log "
        "WHERE tenant_id = $1 AND ($2::text IS NULL OR job_id = $2) ORDER BY id DESC LIMIT $3",
        p.tenant,
        job_id,
        limit,
    )
    return {"items": [dict(r) for r in rows]}


@router.get("/settings")
async def get_settings(request: Request, p: Principal = Caller) -> dict[str, Any]:
    value = await gw(request).pool.fetchval("SELECT settings FROM tenants WHERE id = $1", p.tenant)
    return SettingsIn.model_validate(value or {}).model_dump()


@router.put("/settings")
async def put_settings(body: SettingsIn, request: Request, p: Principal = Caller) -> dict[str, Any]:
    require(p, "admin")
    await gw(request).pool.execute(
        "UPDATE tenants SET settings = $2::jsonb WHERE id = $1", p.tenant, body.model_dump()
    )
    return body.model_dump()
