"""Retrieval quality of code search on a real repository: boltons 26.2.0 (its sdist, vendored
in bench/data/boltons), 73 queries written as descriptions of behaviour, each with the function
or class that answers it (a hit on one of its methods counts). Figures: recall@5 and MRR@5 for
vector-only, keyword-only and hybrid search. Also, apart: 20 queries that name an identifier (as
a developer types it), and vector-only recall with plain ``SentenceTransformer.encode`` vectors
(torch, float) of the same chunks: the indexer's embedding path (int8 ONNX by default) must
agree with it within a point."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT
from bench.search_common import database, git_copy, plain_model, rank_of, recall_mrr, tree_files
from shared.index.catalog import Catalog
from shared.index.embedder import Embedder
from shared.index.indexer import Indexer
from shared.index.pgvector_store import PgVectorStore
from shared.index.search import Mode, Searcher

DATA = ROOT / "bench" / "data"
K = 5
MODES: tuple[Mode, ...] = ("vector", "keyword", "hybrid")


async def _measure() -> dict[str, Any]:
    spec = json.loads((DATA / "boltons_queries.json").read_text())
    model = Embedder()
    model.load()
    with tempfile.TemporaryDirectory(prefix="dfb-q-") as tmp:
        repo = git_copy(tree_files(DATA / "boltons"), Path(tmp) / "boltons")
        async with database("quality") as pool:
            catalog = Catalog(pool)
            store = PgVectorStore(pool)
            report = await Indexer(catalog, store, model, 512_000).index("quality", "boltons", repo)
            searcher = Searcher(catalog, store, model)
            figures: dict[str, Any] = {
                "repository": spec["repository"],
                "files": report.files,
                "chunks": report.chunks,
                "behaviour_queries": len(spec["queries"]),
                "identifier_queries": len(spec["identifier_queries"]),
            }
            for mode in MODES:
                figures[mode] = await _score(searcher, spec["queries"], mode)
            for mode in MODES:
                figures[f"identifiers_{mode}"] = await _score(
                    searcher, spec["identifier_queries"], mode
                )
            figures["vector_plain_encode"] = await _plain(pool, model, spec["queries"])
    return figures


async def _score(searcher: Searcher, queries: list[dict[str, Any]], mode: Mode) -> dict[str, Any]:
    ranks = []
    for q in queries:
        hits = await searcher.search("quality", q["query"], K, mode=mode)
        ranks.append(rank_of([(h.path, h.symbol) for h in hits], q["expect"]))
    recall, mrr = recall_mrr(ranks, K)
    return {f"recall_at_{K}": recall, f"mrr_at_{K}": mrr}


async def _plain(pool: Any, model: Embedder, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Vector-only search with vectors from plain ``encode`` over the same chunk texts."""
    rows = await pool.fetch(
        "SELECT path, symbol, body FROM code_chunks WHERE tenant_id = 'quality' ORDER BY id"
    )
    texts = [
        (f"{r['path']} {r['symbol']}" if r["symbol"] else r["path"]) + "\n" + r["body"]
        for r in rows
    ]
    st = plain_model(model.max_seq_length)
    matrix = st.encode(texts, normalize_embeddings=True)
    qv = st.encode([q["query"] for q in queries], normalize_embeddings=True)
    ranks = []
    for q, v in zip(queries, qv, strict=True):
        top = np.argsort(-(matrix @ v))[:K]
        ranks.append(rank_of([(rows[i]["path"], rows[i]["symbol"]) for i in top], q["expect"]))
    recall, mrr = recall_mrr(ranks, K)
    return {f"recall_at_{K}": recall, f"mrr_at_{K}": mrr}


def run() -> dict[str, Any]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
