"""Pinecone adapter: the official SDK against one index host, a namespace per tenant. The SDK
is synchronous, so each call runs in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from shared.index.store import StoreError, VectorHit, VectorRecord

BATCH = 100  # vectors per upsert request (Pinecone's request size limit is 2 MB)


class PineconeStore:
    name = "pinecone"

    def __init__(self, api_key: str, host: str) -> None:
        from pinecone import Pinecone

        self._index: Any = Pinecone(api_key=api_key).Index(host=host)

    async def _call(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, **kwargs)
        except Exception as exc:
            raise StoreError(f"pinecone: {type(exc).__name__}: {str(exc)[:300]}") from None

    async def upsert(self, tenant: str, records: Sequence[VectorRecord]) -> None:
        for i in range(0, len(records), BATCH):
            vectors = [
                {
                    "id": r.id,
                    "values": [float(x) for x in r.vector],
                    "metadata": {"repo": r.repo, "path": r.path},
                }
                for r in records[i : i + BATCH]
            ]
            await self._call(self._index.upsert, vectors=vectors, namespace=tenant)

    async def delete(self, tenant: str, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), 1000):
            await self._call(self._index.delete, ids=ids[i : i + 1000], namespace=tenant)

    async def query(
        self, tenant: str, vector: Sequence[float], k: int, repo: str | None = None
    ) -> list[VectorHit]:
        res = await self._call(
            self._index.query,
            vector=[float(x) for x in vector],
            top_k=k,
            namespace=tenant,
            filter={"repo": {"$eq": repo}} if repo else None,
            include_metadata=False,
        )
        return [VectorHit(str(m.id), float(m.score)) for m in res.matches]

    async def count(self, tenant: str) -> int:
        stats = await self._call(self._index.describe_index_stats)
        ns = (stats.namespaces or {}).get(tenant)
        return int(ns.vector_count) if ns is not None else 0
