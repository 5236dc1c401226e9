"""The tenant and repository registry: the table is the truth, every service keeps a cache.

``TenantCache.require`` answers from memory, re-reads the table on a miss before refusing, and
is refreshed by ``tenant.created`` events. Writes go through ``add_tenant`` / ``add_repo``,
which also announce the change on the bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from shared import repoconf
from shared.bus.client import Bus
from shared.ids import check_tenant, check_token
from shared.messages import RepoConnected, TenantCreated


class UnknownTenant(LookupError):
    """A message or request for a tenant that is not registered."""


class Conflict(ValueError):
    """A registration that clashes with an existing one."""


@dataclass(frozen=True)
class Repo:
    tenant_id: str
    id: str
    url: str
    default_branch: str
    test_command: str | None = None  # the tenant's own (repoconf.test_command rules), else found


async def add_tenant(
    pool: asyncpg.Pool[Any],
    bus: Bus | None,
    tenant: str,
    name: str | None = None,
    external_id: str | None = None,
) -> bool:
    """Register a tenant; True if it is new. Announces ``tenant.created`` either way."""
    check_tenant(tenant)
    row = await pool.fetchrow(
        "INSERT INTO tenants (id, name, external_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        tenant,
        name or tenant,
        external_id,
    )
    if bus is not None:
        await bus.publish_tenant_created(
            tenant, TenantCreated(tenant=tenant, name=name or tenant, external_id=external_id)
        )
    return row is not None


async def list_tenants(pool: asyncpg.Pool[Any]) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT id, name, external_id, created_at FROM tenants ORDER BY id")
    return [dict(r) for r in rows]


async def tenant_exists(pool: asyncpg.Pool[Any], tenant: str) -> bool:
    return bool(await pool.fetchval("SELECT 1 FROM tenants WHERE id = $1", tenant))


async def add_repo(
    pool: asyncpg.Pool[Any],
    bus: Bus | None,
    tenant: str,
    name: str,
    url: str,
    default_branch: str,
    test_command: str | None = None,
) -> Repo:
    """Register a repository by name for a tenant and announce ``repo.connected``; a test
    command given replaces the one it had."""
    check_token(name, "repository name")
    if test_command is not None:
        try:
            repoconf.test_command(test_command, "the test command")
        except repoconf.RepoConfigError as exc:
            raise ValueError(str(exc)) from None
    if not await tenant_exists(pool, tenant):
        raise UnknownTenant(f"tenant {tenant!r} is not registered (devforge tenants add {tenant})")
    existing = await pool.fetchrow(
        "SELECT url FROM repos WHERE tenant_id = $1 AND id = $2", tenant, name
    )
    if existing is not None and existing["url"] != url:
        raise Conflict(
            f"repository {name!r} of tenant {tenant!r} already points at {existing['url']}"
        )
    stored = await pool.fetchval(
        "INSERT INTO repos (tenant_id, id, url, default_branch, test_command) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, id) DO UPDATE SET "
        "test_command = COALESCE(EXCLUDED.test_command, repos.test_command) "
        "RETURNING test_command",
        tenant,
        name,
        url,
        default_branch,
        test_command,
    )
    if bus is not None:
        await announce_repo(bus, tenant, name, url, default_branch)
    return Repo(tenant, name, url, default_branch, stored)


async def announce_repo(bus: Bus, tenant: str, name: str, url: str, default_branch: str) -> None:
    """``repo.connected``: the indexer (re)indexes the repository."""
    await bus.publish_repo(
        tenant,
        name,
        "connected",
        RepoConnected(repo_id=name, url=url, default_branch=default_branch),
    )


async def list_repos(pool: asyncpg.Pool[Any], tenant: str) -> list[Repo]:
    rows = await pool.fetch(
        "SELECT tenant_id, id, url, default_branch, test_command FROM repos "
        "WHERE tenant_id = $1 ORDER BY id",
        tenant,
    )
    return [Repo(**dict(r)) for r in rows]


async def get_repo(pool: asyncpg.Pool[Any], tenant: str, name: str) -> Repo:
    row = await pool.fetchrow(
        "SELECT tenant_id, id, url, default_branch, test_command FROM repos "
        "WHERE tenant_id = $1 AND id = $2",
        tenant,
        name,
    )
    if row is None:
        raise LookupError(
            f"repository {name!r} is not registered for tenant {tenant!r} "
            f"(devforge repos add PATH --tenant {tenant} --name {name})"
        )
    return Repo(**dict(row))


class TenantCache:
    """Known tenants in memory; a miss re-reads the table before anything is refused."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._known: set[str] = set()

    async def refresh(self, tenant: str) -> None:
        """Re-read one tenant from the table (on a ``tenant.created`` hint)."""
        if await tenant_exists(self._pool, tenant):
            self._known.add(tenant)

    async def require(self, tenant: str) -> None:
        if tenant in self._known:
            return
        if await tenant_exists(self._pool, tenant):
            self._known.add(tenant)
            return
        raise UnknownTenant(f"tenant {tenant!r} is not in the registry")
