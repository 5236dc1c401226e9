"""The vector store protocol: one namespace per tenant; every adapter passes the same contract
suite (``tests/integration/test_vector_store_contract.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class VectorRecord:
    id: str  # the chunk id (unique across tenants: it hashes the tenant in)
    repo: str
    path: str
    vector: Sequence[float]


@dataclass(frozen=True)
class VectorHit:
    id: str
    score: float  # cosine similarity, higher is closer


class StoreError(RuntimeError):
    """The vector store refused or failed a request (the reason says which)."""


class VectorStore(Protocol):
    name: str

    async def upsert(self, tenant: str, records: Sequence[VectorRecord]) -> None:
        """Insert or replace vectors in the tenant's namespace."""

    async def delete(self, tenant: str, ids: Sequence[str]) -> None:
        """Remove vectors by id from the tenant's namespace (unknown ids are ignored)."""

    async def query(
        self, tenant: str, vector: Sequence[float], k: int, repo: str | None = None
    ) -> list[VectorHit]:
        """The ``k`` nearest vectors of the tenant's namespace, optionally of one repository."""

    async def count(self, tenant: str) -> int:
        """How many vectors the tenant's namespace holds."""


def vector_literal(v: Sequence[float]) -> str:
    """pgvector's text form, ``[0.1,0.2,...]`` (no client-side codec needed)."""
    return "[" + ",".join(f"{x:.7g}" for x in v) + "]"
