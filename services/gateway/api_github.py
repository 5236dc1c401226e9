"""``/v1/github``: connecting a GitHub App installation to the caller's tenant.

A tenant admin connects through GitHub's install flow, which proves that the admin's GitHub
user can access the installation:
1. ``POST /v1/github/install-url`` issues a short-lived, single-use state bound to the tenant and
   the admin, and answers GitHub's install page URL carrying it;
2. GitHub sends the browser back to the App's setup URL with ``installation_id``,
   ``setup_action``, ``code`` (user authorization during installation) and the state; the
   client posts them to ``POST /v1/github/setup`` as the same admin;
3. the state is spent, the code exchanged for a user token, and the claim accepted only when
   the installation is among the user's (``GET /user/installations``).
Knowing an installation id is therefore not enough to claim it.

``POST /v1/github/installations`` (an installation id alone) is the operator's break-glass,
audited as such; a tenant admin's token is refused there.

Either way, the installation's repositories are read from GitHub with the App's own
credentials, never taken from the request; the first tenant to connect an installation owns it
(another tenant's claim is 409).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from github import GithubException
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.auth import Principal
from services.gateway.deps import Gateway, gw, principal, require
from shared import registry
from shared.forge.github import links, oauth, states
from shared.forge.github.app import GitHubApp, NotConfigured
from shared.ids import InvalidId, slugify

router = APIRouter(prefix="/v1/github")
Caller = Depends(principal)
CONNECTED, REFUSED = "github.installation.connected", "github.installation.refused"
Repos = Field(default=None, max_length=500, description="full names to connect; all if omitted")


class InstallationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    installation_id: int = Field(gt=0)
    repos: list[str] | None = Repos


class SetupIn(BaseModel):
    """What GitHub's redirect to the setup URL carries, posted by the admin who started it."""

    model_config = ConfigDict(extra="forbid")
    state: str = Field(min_length=1, max_length=200)
    setup_action: Literal["install", "update", "request"] = "install"
    installation_id: int | None = Field(default=None, gt=0)
    code: str | None = Field(default=None, min_length=1, max_length=512)
    repos: list[str] | None = Repos


def _app(g: Gateway) -> GitHubApp:
    try:
        return GitHubApp.from_settings(g.settings)
    except NotConfigured as exc:
        raise HTTPException(404, detail=str(exc)) from None


def _oauth(g: Gateway) -> oauth.OAuthApp:
    try:
        return oauth.OAuthApp.from_settings(g.settings)
    except oauth.NotConfigured as exc:
        raise HTTPException(404, detail=str(exc)) from None


async def _connect(
    g: Gateway, p: Principal, installation_id: int, repos: list[str] | None, how: str
) -> dict[str, Any]:
    """Claim the installation for the caller's tenant and register its repositories."""
    app = _app(g)
    try:
        inst = await asyncio.to_thread(app.installation, installation_id)
        remote = await asyncio.to_thread(app.repositories, installation_id)
    except GithubException as exc:
        if exc.status == 404:
            raise HTTPException(
                404, detail=f"GitHub knows no installation {installation_id} of this App"
            ) from None
        raise HTTPException(502, detail=f"GitHub answered {exc.status}") from None
    wanted = set(repos) if repos is not None else {r.full_name for r in remote}
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
    details = {
        "installation_id": inst.id,
        "account": inst.account,
        "repos": [c["full_name"] for c in connected],
        "break_glass": p.operator,
    }
    await links.audit(g.pool, p.tenant, p.subject, CONNECTED, "allow", how, details)
    return {"installation_id": inst.id, "account": inst.account, "repos": connected}


@router.post("/installations", status_code=201)
async def connect(body: InstallationIn, request: Request, p: Principal = Caller) -> dict[str, Any]:
    """The operator's break-glass: connect an installation by its id alone."""
    require(p, "admin")
    if not p.operator:
        raise HTTPException(
            403,
            detail="tenant admins connect through GitHub's install flow "
            "(POST /v1/github/install-url, then POST /v1/github/setup); "
            "an installation id alone is the operator's break-glass",
        )
    reason = "break-glass: connected by the operator without GitHub's user authorization"
    return await _connect(gw(request), p, body.installation_id, body.repos, reason)


@router.post("/install-url", status_code=201)
async def install_url(request: Request, p: Principal = Caller) -> dict[str, Any]:
    """GitHub's install page for this App, with a state bound to this tenant and admin."""
    g = gw(request)
    require(p, "admin")
    app = _oauth(g)
    state = await states.issue(g.pool, p.tenant, p.subject)
    return {"url": oauth.install_url(app.oauth_url, app.slug, state), "expires_in": states.TTL_S}


@router.post("/setup", status_code=201)
async def setup(
    body: SetupIn, request: Request, response: Response, p: Principal = Caller
) -> dict[str, Any]:
    """GitHub's setup callback: connect the installation if the authorizing user can access it."""
    g = gw(request)
    require(p, "admin")
    app = _oauth(g)
    try:
        await states.take(g.pool, body.state, p.tenant, p.subject)
    except states.BadState as exc:
        raise HTTPException(403, detail=str(exc)) from None
    if body.setup_action == "request":
        response.status_code = 202
        return {
            "status": "requested",
            "detail": "an owner of the GitHub account must approve the installation; "
            "start again once it is installed",
        }
    if body.installation_id is None:
        raise HTTPException(422, detail="the setup callback names no installation_id")
    if body.code is None:
        raise HTTPException(
            403,
            detail="GitHub sent no authorization code: enable 'Request user authorization "
            "(OAuth) during installation' in the App's settings",
        )
    try:
        allowed = await oauth.user_can_access(app, body.code, body.installation_id)
    except oauth.Refused as exc:
        raise HTTPException(403, detail=str(exc)) from None
    except oauth.Unavailable as exc:
        raise HTTPException(502, detail=str(exc)) from None
    if not allowed:
        why = f"the GitHub user who authorized cannot access installation {body.installation_id}"
        details = {"installation_id": body.installation_id, "break_glass": False}
        await links.audit(g.pool, p.tenant, p.subject, REFUSED, "deny", why, details)
        raise HTTPException(403, detail=f"{why}: nothing was connected")
    reason = "verified: the authorizing GitHub user can access the installation"
    return await _connect(g, p, body.installation_id, body.repos, reason)
