"""The index's rows in PostgreSQL: chunks with their terms (for BM25), each repository's indexed
commit, and the embedding cache. Every statement is scoped to one tenant."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.index.chunking import Chunk
from shared.index.keywords import query_terms, term_counts
from shared.index.store import vector_literal

# Okapi BM25's usual parameters (term-frequency saturation, length normalisation); neighbours
# measured in bench/search_quality did no better on the three corpora together.
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class ChunkRow:
    id: str
    repo: str
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    body: str


@dataclass(frozen=True)
class IndexState:
    commit: str
    model: str
    files: int
    chunks: int


def chunk_id(tenant: str, repo: str, chunk: Chunk) -> str:
    key = (
        f"{tenant}\0{repo}\0{chunk.path}\0{chunk.start_line}\0{chunk.end_line}\0{chunk.content_sha}"
    )
    return hashlib.sha256(key.encode()).hexdigest()[:40]


class Catalog:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self.pool = pool

    async def state(self, tenant: str, repo: str) -> IndexState | None:
        row = await self.pool.fetchrow(
            "SELECT commit, model, files, chunks FROM code_index_state "
            "WHERE tenant_id = $1 AND repo_id = $2",
            tenant,
            repo,
        )
        return IndexState(**dict(row)) if row else None

    async def set_state(self, tenant: str, repo: str, state: IndexState) -> None:
        await self.pool.execute(
            "INSERT INTO code_index_state (tenant_id, repo_id, commit, model, files, chunks) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, repo_id) DO UPDATE SET "
            "commit = $3, model = $4, files = $5, chunks = $6, updated_at = now()",
            tenant,
            repo,
            state.commit,
            state.model,
            state.files,
            state.chunks,
        )

    async def ids_of_paths(self, tenant: str, repo: str, paths: Sequence[str] | None) -> list[str]:
        """Chunk ids of some files of a repository (``None``: all of its files)."""
        rows = await self.pool.fetch(
            "SELECT id FROM code_chunks WHERE tenant_id = $1 AND repo_id = $2 "
            "AND ($3::text[] IS NULL OR path = ANY($3::text[]))",
            tenant,
            repo,
            list(paths) if paths is not None else None,
        )
        return [r["id"] for r in rows]

    async def delete(self, tenant: str, ids: Sequence[str]) -> None:
        await self.pool.execute(
            "DELETE FROM code_chunks WHERE tenant_id = $1 AND id = ANY($2::text[])",
            tenant,
            list(ids),
        )

    async def add(self, tenant: str, repo: str, chunks: Sequence[tuple[str, Chunk]]) -> None:
        if not chunks:
            return
        cols: list[list[Any]] = [[] for _ in range(10)]
        term_ids: list[str] = []
        term_words: list[str] = []
        term_tfs: list[int] = []
        for cid, c in chunks:
            counts = term_counts(f"{c.path} {c.symbol or ''}", c.text)
            for col, v in zip(
                cols,
                (
                    cid,
                    c.path,
                    c.start_line,
                    c.end_line,
                    c.symbol,
                    c.kind,
                    c.language,
                    c.content_sha,
                    c.text,
                    sum(counts.values()),
                ),
                strict=True,
            ):
                col.append(v)
            for term, tf in counts.items():
                term_ids.append(cid)
                term_words.append(term)
                term_tfs.append(tf)
        async with self.pool.acquire() as conn, conn.transaction():
            added = await conn.fetch(
                "INSERT INTO code_chunks (id, tenant_id, repo_id, path, start_line, end_line,"
                " symbol, kind, language, content_sha, body, term_count) "
                "SELECT id, $1, $2, path, s, e, sym, kind, lang, sha, body, n FROM unnest("
                "$3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[],"
                " $9::text[], $10::text[], $11::text[], $12::int[]) "
                "AS r(id, path, s, e, sym, kind, lang, sha, body, n) ON CONFLICT (id) DO NOTHING "
                "RETURNING id",
                tenant,
                repo,
                *cols,
            )
            new = {r["id"] for r in added}
            keep = [i for i, cid in enumerate(term_ids) if cid in new]
            await conn.execute(
                "INSERT INTO code_terms (chunk_id, tenant_id, repo_id, term, tf) "
                "SELECT id, $1, $2, term, tf FROM unnest($3::text[], $4::text[], $5::int[]) "
                "AS r(id, term, tf)",
                tenant,
                repo,
                [term_ids[i] for i in keep],
                [term_words[i] for i in keep],
                [term_tfs[i] for i in keep],
            )

    async def rows(self, tenant: str, ids: Sequence[str]) -> dict[str, ChunkRow]:
        rows = await self.pool.fetch(
            "SELECT id, repo_id AS repo, path, start_line, end_line, symbol, kind, body "
            "FROM code_chunks WHERE tenant_id = $1 AND id = ANY($2::text[])",
            tenant,
            list(ids),
        )
        return {r["id"]: ChunkRow(**dict(r)) for r in rows}

    async def totals(self, tenant: str, repo: str) -> tuple[int, int]:
        """(files, chunks) of one repository's index."""
        row = await self.pool.fetchrow(
            "SELECT count(DISTINCT path) AS f, count(*) AS c FROM code_chunks "
            "WHERE tenant_id = $1 AND repo_id = $2",
            tenant,
            repo,
        )
        assert row is not None
        return int(row["f"]), int(row["c"])

    async def count(self, tenant: str, repo: str | None = None) -> int:
        n = await self.pool.fetchval(
            "SELECT count(*) FROM code_chunks WHERE tenant_id = $1 "
            "AND ($2::text IS NULL OR repo_id = $2)",
            tenant,
            repo,
        )
        return int(n)

    async def keyword(
        self, tenant: str, query: str, k: int, repo: str | None = None
    ) -> list[tuple[str, float]]:
        """BM25 hits (chunk id, score), best first, with the term statistics of the tenant's
        chunks (of ``repo`` when given): any query term may match."""
        words = query_terms(query)
        if not words:
            return []
        rows = await self.pool.fetch(
            "WITH q AS (SELECT DISTINCT unnest($2::text[]) AS term), "
            "scope AS (SELECT count(*)::float8 AS n, coalesce(avg(term_count), 1)::float8 AS avgdl"
            " FROM code_chunks WHERE tenant_id = $1 AND ($3::text IS NULL OR repo_id = $3)), "
            "df AS (SELECT t.term, count(*)::float8 AS df FROM code_terms t JOIN q USING (term)"
            " WHERE t.tenant_id = $1 AND ($3::text IS NULL OR t.repo_id = $3) GROUP BY t.term) "
            "SELECT t.chunk_id AS id, sum(ln(1 + (scope.n - df.df + 0.5) / (df.df + 0.5))"
            " * t.tf * ($5::float8 + 1)"
            " / (t.tf + $5::float8 * (1 - $6::float8 + $6::float8 * c.term_count / scope.avgdl)))"
            " AS rank "
            "FROM code_terms t JOIN df USING (term) JOIN code_chunks c ON c.id = t.chunk_id, scope "
            "WHERE t.tenant_id = $1 AND ($3::text IS NULL OR t.repo_id = $3) "
            "GROUP BY t.chunk_id ORDER BY rank DESC, id LIMIT $4",
            tenant,
            words,
            repo,
            k,
            BM25_K1,
            BM25_B,
        )
        return [(r["id"], float(r["rank"])) for r in rows]

    async def cached(self, tenant: str, model: str, shas: Sequence[str]) -> dict[str, list[float]]:
        rows = await self.pool.fetch(
            "SELECT content_sha, embedding::text AS v FROM embedding_cache "
            "WHERE tenant_id = $1 AND model = $2 AND content_sha = ANY($3::text[])",
            tenant,
            model,
            list(shas),
        )
        return {r["content_sha"]: [float(x) for x in r["v"][1:-1].split(",")] for r in rows}

    async def cache(
        self, tenant: str, model: str, items: Sequence[tuple[str, Sequence[float]]]
    ) -> None:
        if not items:
            return
        await self.pool.execute(
            "INSERT INTO embedding_cache (tenant_id, model, content_sha, embedding) "
            "SELECT $1, $2, sha, v::vector FROM unnest($3::text[], $4::text[]) AS r(sha, v) "
            "ON CONFLICT DO NOTHING",
            tenant,
            model,
            [sha for sha, _ in items],
            [vector_literal(v) for _, v in items],
        )
