"""Request-scoped pieces of the gateway: the caller (``Principal``), its tenant, and limits."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import HTTPException, Request

from services.gateway.auth import OidcVerifier, Principal, Unauthorized, role_from, same_secret
from services.gateway.auth import slug_for as _slug
from shared import registry
from shared.bus.client import Bus
from shared.ids import InvalidId, check_tenant
from shared.settings import Settings


@dataclass
class Gateway:
    """What the routes share: settings, the pool, the bus, the verifier, rate windows."""

    settings: Settings
    pool: asyncpg.Pool[Any]
    bus: Bus
    verifier: OidcVerifier | None
    submissions: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def allow_submission(self, tenant: str) -> bool:
        """A sliding one-minute window per tenant."""
        now = time.monotonic()
        window = self.submissions[tenant]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.settings.submit_rate:
            return False
        window.append(now)
        return True


def gw(request: Request) -> Gateway:
    g: Gateway = request.app.state.gateway
    return g


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


async def tenant_for(g: Gateway, external_id: str) -> str:
    """The DevForge tenant of an issuer's organisation id; created on first sight."""
    found = await g.pool.fetchval("SELECT id FROM tenants WHERE external_id = $1", external_id)
    if found:
        return str(found)
    slug = _slug(external_id)
    await registry.add_tenant(g.pool, g.bus, slug, name=external_id, external_id=external_id)
    owner = await g.pool.fetchval("SELECT external_id FROM tenants WHERE id = $1", slug)
    if owner != external_id:  # the slug was taken by a tenant made another way
        raise _unauthorized("this organisation's tenant id is taken; ask the operator")
    return slug


async def principal(request: Request) -> Principal:
    g = gw(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("a bearer token is required")
    token = token.strip()
    if same_secret(token, g.settings.admin_token or ""):
        wanted = request.headers.get("x-devforge-tenant") or g.settings.tenant
        try:
            tenant = check_tenant(wanted)
        except InvalidId as exc:
            raise HTTPException(400, detail=str(exc)) from None
        if not await registry.tenant_exists(g.pool, tenant):
            raise HTTPException(404, detail=f"no tenant {tenant!r}")
        return Principal(tenant=tenant, subject="operator", role="admin", operator=True)
    if g.verifier is None:
        raise _unauthorized("OIDC is not configured: only the operator's token is accepted")
    try:
        claims = await g.verifier.verify(token)
    except Unauthorized as exc:
        raise _unauthorized(str(exc)) from None
    external = claims.get(g.settings.tenant_claim)
    subject = claims.get("sub")
    if not isinstance(external, str) or not external:
        raise _unauthorized(f"the token has no {g.settings.tenant_claim!r} claim (tenant)")
    if not isinstance(subject, str) or not subject:
        raise _unauthorized("the token has no subject")
    tenant = await tenant_for(g, external)
    return Principal(tenant=tenant, subject=subject, role=role_from(claims, g.settings.role_claim))


def require(p: Principal, action: str) -> None:
    if not p.may(action):
        raise HTTPException(403, detail=f"your role ({p.role}) may not {action}")
