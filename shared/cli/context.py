"""How CLI commands reach the stack: URLs from ``stack.json`` or from the environment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from shared import registry
from shared.bus import dedupe
from shared.bus.client import Bus
from shared.db.pool import create_pool
from shared.embedded.stack import Paths, StackError, read_stack
from shared.settings import Settings, get_settings

T = TypeVar("T")


@dataclass
class Conn:
    bus: Bus
    pool: asyncpg.Pool[Any]
    settings: Settings


def urls(settings: Settings) -> tuple[str, str]:
    """(nats_url, database_url): the environment wins, else the running embedded stack."""
    if settings.nats_url and settings.database_url:
        return settings.nats_url, settings.database_url
    info = read_stack(Paths(settings.home))
    return settings.nats_url or info["nats_url"], settings.database_url or info["database_url"]


@asynccontextmanager
async def connect(settings: Settings | None = None) -> AsyncIterator[Conn]:
    settings = settings or get_settings()
    nats_url, db_url = urls(settings)
    try:
        bus = await Bus.connect(nats_url, name="devforge-cli")
    except Exception as exc:
        raise StackError(f"cannot reach NATS: {exc}") from None
    try:
        pool = await create_pool(db_url, max_size=2)
    except Exception as exc:
        await bus.close()
        raise StackError(f"cannot reach PostgreSQL: {exc}") from None
    bus.dedupe_key = await dedupe.load_key(pool)
    try:
        yield Conn(bus, pool, settings)
    finally:
        await pool.close()
        await bus.close()


class NotFound(LookupError):
    """A tenant, repository or job the command names does not exist (one readable line)."""


async def require_tenant(c: Conn, tenant: str) -> None:
    """``NotFound`` naming the tenant when it is not registered (before anything else is
    blamed: an empty list or a missing repository would hide the real problem)."""
    if not await c.pool.fetchval("SELECT 1 FROM tenants WHERE id = $1", tenant):
        raise NotFound(
            f"no such tenant {tenant!r} (register it with `devforge tenants add {tenant}`; "
            "`devforge tenants list` shows the registered ones)"
        )


async def require_repo(c: Conn, tenant: str, repo: str) -> registry.Repo:
    """The repository, or a ``LookupError`` naming the tenant or the repository that is not
    registered."""
    await require_tenant(c, tenant)
    return await registry.get_repo(c.pool, tenant, repo)


def run(fn: Callable[[Conn], Awaitable[T]]) -> T:
    async def _go() -> T:
        async with connect() as conn:
            return await fn(conn)

    return asyncio.run(_go())
