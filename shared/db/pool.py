"""asyncpg pools, one per process, created from ``DEVFORGE_DATABASE_URL``."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def _init(conn: asyncpg.Connection[Any]) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _release(conn: asyncpg.Connection[Any]) -> None:
    """What a connection needs on its way back to the pool: nothing beyond asyncpg's own
    rollback of an open transaction. The project never sets session state (no ``SET``,
    ``LISTEN``, cursors or session advisory locks), so asyncpg's default reset query
    (``RESET ALL; UNLISTEN *; ...``) would only add a round trip to every pooled statement;
    measured here, it doubled the cost of a one-row query."""


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init, reset=_release
    )
    assert pool is not None
    return pool
