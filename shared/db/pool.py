"""asyncpg pools, one per process, created from ``DEVFORGE_DATABASE_URL``."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def _init(conn: asyncpg.Connection[Any]) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, init=_init)
    assert pool is not None
    return pool
