"""One contract, every vector store: pgvector on the real PostgreSQL, and Pinecone through the
official SDK against a local stand-in of its HTTP protocol. Each tenant is its own namespace."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from shared.index.pgvector_store import PgVectorStore
from shared.index.pinecone_store import PineconeStore
from shared.index.store import StoreError, VectorRecord, VectorStore
from tests.support import pinecone_standin

E = {  # unit vectors: x, y, z and a mix
    "x": [1.0, 0.0, 0.0, 0.0],
    "y": [0.0, 1.0, 0.0, 0.0],
    "z": [0.0, 0.0, 1.0, 0.0],
    "xy": [0.7071, 0.7071, 0.0, 0.0],
}


def rec(cid: str, vec: str, repo: str = "shop") -> VectorRecord:
    return VectorRecord(cid, repo, f"src/{cid}.py", E[vec])


def uid() -> str:
    return f"t-{secrets.token_hex(4)}"


class StoreContract:
    """Subclasses provide ``store``; every test here must hold for every adapter."""

    async def test_nearest_first_with_cosine_scores(self, store: VectorStore) -> None:
        t = uid()
        await store.upsert(t, [rec(f"{t}-x", "x"), rec(f"{t}-y", "y"), rec(f"{t}-xy", "xy")])
        hits = await store.query(t, E["x"], 2)
        assert [h.id for h in hits] == [f"{t}-x", f"{t}-xy"]
        assert hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert hits[1].score == pytest.approx(0.7071, abs=1e-3)

    async def test_a_tenant_never_sees_another_tenants_vectors(self, store: VectorStore) -> None:
        a, b = uid(), uid()
        await store.upsert(a, [rec(f"{a}-x", "x")])
        await store.upsert(b, [rec(f"{b}-x", "x"), rec(f"{b}-y", "y")])
        assert [h.id for h in await store.query(a, E["x"], 10)] == [f"{a}-x"]
        assert {h.id for h in await store.query(b, E["x"], 10)} == {f"{b}-x", f"{b}-y"}
        assert await store.count(a) == 1 and await store.count(b) == 2
        await store.delete(a, [f"{b}-x"])  # another tenant's id: nothing happens
        assert await store.count(b) == 2
        assert await store.query(uid(), E["x"], 10) == []

    async def test_repo_filter(self, store: VectorStore) -> None:
        t = uid()
        await store.upsert(t, [rec(f"{t}-a", "x", "shop"), rec(f"{t}-b", "x", "blog")])
        assert [h.id for h in await store.query(t, E["x"], 10, repo="blog")] == [f"{t}-b"]
        assert len(await store.query(t, E["x"], 10)) == 2

    async def test_upsert_replaces_and_delete_removes(self, store: VectorStore) -> None:
        t = uid()
        await store.upsert(t, [rec(f"{t}-1", "x"), rec(f"{t}-2", "y")])
        await store.upsert(t, [rec(f"{t}-1", "z")])  # same id, new vector
        assert await store.count(t) == 2
        assert (await store.query(t, E["z"], 1))[0].id == f"{t}-1"
        await store.delete(t, [f"{t}-1", f"{t}-missing"])
        assert [h.id for h in await store.query(t, E["z"], 10)] == [f"{t}-2"]
        assert await store.count(t) == 1
        await store.upsert(t, [])
        await store.delete(t, [])
        assert await store.count(t) == 1

    async def test_many_records_in_one_call(self, store: VectorStore) -> None:
        t = uid()
        recs = [
            VectorRecord(f"{t}-{i}", "shop", "a.py", [1.0, i / 300, 0.0, 0.0]) for i in range(250)
        ]
        await store.upsert(t, recs)
        assert await store.count(t) == 250
        assert [h.id for h in await store.query(t, [1.0, 0.0, 0.0, 0.0], 3)] == [
            f"{t}-0",
            f"{t}-1",
            f"{t}-2",
        ]


class TestPgVector(StoreContract):
    @pytest.fixture
    def store(self, pool: asyncpg.Pool[Any]) -> VectorStore:
        return PgVectorStore(pool)


class TestPinecone(StoreContract):
    @pytest.fixture
    def standin(self) -> Iterator[tuple[str, pinecone_standin.Index]]:
        with pinecone_standin.serve() as served:
            yield served

    @pytest.fixture
    def store(self, standin: tuple[str, pinecone_standin.Index]) -> VectorStore:
        return PineconeStore(standin[1].api_key, standin[0])

    async def test_the_sdk_speaks_the_protocol_the_standin_checks(
        self, store: VectorStore, standin: tuple[str, pinecone_standin.Index]
    ) -> None:
        t = uid()
        await store.upsert(t, [rec(f"{t}-x", "x")])
        await store.query(t, E["x"], 1, repo="shop")
        await store.delete(t, [f"{t}-x"])
        await store.count(t)
        assert [path for path, _ in standin[1].requests] == [
            "/vectors/upsert",
            "/query",
            "/vectors/delete",
            "/describe_index_stats",
        ]
        assert standin[1].requests[1][1]["namespace"] == t
        assert standin[1].requests[1][1]["filter"] == {"repo": {"$eq": "shop"}}

    async def test_the_standin_refuses_what_pinecone_refuses(
        self, standin: tuple[str, pinecone_standin.Index]
    ) -> None:
        host, index = standin

        def post(path: str, body: dict[str, Any], key: str, version: str) -> int:
            req = urllib.request.Request(
                host + path,
                data=json.dumps(body).encode(),
                headers={"Api-Key": key, "X-Pinecone-Api-Version": version},
                method="POST",
            )
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    return int(r.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        v = pinecone_standin.API_VERSION
        assert post("/describe_index_stats", {}, index.api_key, v) == 200
        assert post("/describe_index_stats", {}, "wrong", v) == 401
        assert post("/describe_index_stats", {}, index.api_key, "2023-01") == 400
        assert post("/query", {"top_k": 3}, index.api_key, v) == 400  # snake_case is not the API
        assert post("/vectors/list", {}, index.api_key, v) == 404

    async def test_a_wrong_key_is_a_store_error(
        self, standin: tuple[str, pinecone_standin.Index]
    ) -> None:
        bad = PineconeStore("not-the-key", standin[0])
        with pytest.raises(StoreError, match="pinecone"):
            await bad.query(uid(), E["x"], 1)
