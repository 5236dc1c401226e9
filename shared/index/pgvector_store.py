"""pgvector adapter (the default): vectors in ``code_vectors``, a tenant's namespace is its
``tenant_id``; every statement filters on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.index.store import VectorHit, VectorRecord, vector_literal


class PgVectorStore:
    name = "pgvector"

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def upsert(self, tenant: str, records: Sequence[VectorRecord]) -> None:
        if not records:
            return
        await self._pool.execute(
            "INSERT INTO code_vectors (chunk_id, tenant_id, repo_id, path, embedding) "
            "SELECT id, $1, repo, path, v::vector "
            "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS r(id, repo, path, v) "
            "ON CONFLICT (chunk_id) DO UPDATE SET embedding = EXCLUDED.embedding, "
            "repo_id = EXCLUDED.repo_id, path = EXCLUDED.path "
            "WHERE code_vectors.tenant_id = EXCLUDED.tenant_id",
            tenant,
            [r.id for r in records],
            [r.repo for r in records],
            [r.path for r in records],
            [vector_literal(r.vector) for r in records],
        )

    async def delete(self, tenant: str, ids: Sequence[str]) -> None:
        if ids:
            await self._pool.execute(
                "DELETE FROM code_vectors WHERE tenant_id = $1 AND chunk_id = ANY($2::text[])",
                tenant,
                list(ids),
            )

    async def query(
        self, tenant: str, vector: Sequence[float], k: int, repo: str | None = None
    ) -> list[VectorHit]:
        rows = await self._pool.fetch(
            "SELECT chunk_id, 1 - (embedding <=> $2::vector) AS score FROM code_vectors "
            "WHERE tenant_id = $1 AND ($3::text IS NULL OR repo_id = $3) "
            "ORDER BY embedding <=> $2::vector, chunk_id LIMIT $4",
            tenant,
            vector_literal(vector),
            repo,
            k,
        )
        return [VectorHit(r["chunk_id"], float(r["score"])) for r in rows]

    async def count(self, tenant: str) -> int:
        n = await self._pool.fetchval(
            "SELECT count(*) FROM code_vectors WHERE tenant_id = $1", tenant
        )
        return int(n)
