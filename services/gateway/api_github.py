"""``/v1/github``: connecting a GitHub App installation to the caller's tenant (the App's setup
URL hands the dashboard an ``installation_id``; a tenant admin posts it here).

The installation's repositories are read from GitHub with the App's own credentials, never
taken from the request: a tenant connects only repositories the installation really holds.
The first tenant to connect an installation owns it; another tenant's claim is refused (409).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from github import GithubException
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.auth import Principal
from services.gateway.deps import gw, principal, require
from shared import registry
from shared.forge.github import links
from shared.forge.github.app import GitHubApp, NotConfigured
from shared.ids import InvalidId, slugify

router = APIRouter(prefix="/v1/github")
Caller = Depends(principal)


class InstallationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    installation_id: int = Field(gt=0)
    repos: list[str] | None = Field(
        default=None, max_length=500, description="full names to connect; all when omitted"
    )


@router.post("/installations", status_code=201)
async def connect(body: InstallationIn, request: Request, p: Principal = Caller) -> dict[str, Any]:
    g = gw(request)
    require(p, "admin")
    try:
        app = GitHubApp.from_settings(g.settings)
    except NotConfigured as exc:
        raise HTTPException(503, detail=str(exc)) from None
    try:
        inst = await asyncio.to_thread(app.installation, body.installation_id)
        remote = await asyncio.to_thread(app.repositories, body.installation_id)
    except GithubException as exc:
        if exc.status == 404:
            raise HTTPException(
                404, detail=f"GitHub knows no installation {body.installation_id} of this App"
            ) from None
        raise HTTPException(502, detail=f"GitHub answered {exc.status}") from None
    wanted = set(body.repos) if body.repos is not None else {r.full_name for r in remote}
    unknown = sorted(wanted - {r.full_name for r in remote})
    if unknown:
        raise HTTPException(
            422, detail=f"not repositories of installation {inst.id}: {', '.join(unknown)}"
        )
    owner = await links.claim_installation(g.pool, inst.id, p.tenant, inst.account, p.subject)
    if owner != p.tenant:
        raise HTTPException(409, detail=f"installation {inst.id} is connected to another tenant")
    connected = []
    for r in (r for r in remote if r.full_name in wanted):
        try:
            name = slugify(r.name)
            await registry.add_repo(g.pool, None, p.tenant, name, r.clone_url, r.default_branch)
        except InvalidId as exc:
            raise HTTPException(422, detail=f"{r.full_name}: {exc}") from None
        except registry.Conflict as exc:
            raise HTTPException(409, detail=str(exc)) from None
        await links.add(g.pool, p.tenant, name, inst.id, r.github_id, r.full_name)
        link = await links.of_repo(g.pool, p.tenant, name)
        if link is None or link.github_id != r.github_id:
            raise HTTPException(409, detail=f"repository {name!r} is linked to another repository")
        await registry.announce_repo(g.bus, p.tenant, name, r.clone_url, r.default_branch)
        connected.append(
            {
                "name": name,
                "full_name": r.full_name,
                "url": r.clone_url,
                "default_branch": r.default_branch,
            }
        )
    return {"installation_id": inst.id, "account": inst.account, "repos": connected}
