"""Hybrid retrieval: nearest vectors (the tenant's namespace in the vector store) and BM25 over
code's own words (``shared.index.keywords``), fused by reciprocal rank; then implementation
before tests, or tests first when the query asks about tests. The ranking rules are pure; the
rest reads the stores."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from shared.index.catalog import Catalog, ChunkRow
from shared.index.embedder import Embedder
from shared.index.keywords import asks_for_tests, is_test_path
from shared.index.store import VectorStore

Mode = Literal["hybrid", "vector", "keyword"]
RRF_K = 60  # the usual constant: dampens the weight of the very first ranks
CANDIDATES = 50  # per retriever, before fusion
# How much the keyword ranking counts next to the vector ranking. A query that names code
# (``parse_int_list``, ``IndexedSet``, one word) is matched best by its words; a description of
# behaviour mostly by meaning. Chosen on three corpora together (bench/search_quality: boltons,
# click, Jinja2), where 0.2-0.3 for prose was a plateau.
NAMES_CODE_WEIGHT = 1.0
PROSE_WEIGHT = 0.3
# A window of loose lines (imports, module-level statements, a text file) counts this much next
# to a definition with the same evidence: a question about behaviour is answered by a function
# or class. Any factor from 0.3 to 0.9 measured the same on the three corpora (whose answers are
# all definitions, so they favour it); the mildest of those is kept.
WINDOW_WEIGHT = 0.8
_CODE_NAME = re.compile(
    r"[A-Za-z_]\w*(?:_\w|[a-z][A-Z]|[A-Za-z]\d+[A-Za-z])\w*|[A-Za-z_]\w*\.[A-Za-z_]\w*"
)


@dataclass(frozen=True)
class Hit:
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    score: float
    repo: str
    kind: str
    text: str

    def summary(self) -> dict[str, Any]:
        """The JSON shape of ``devforge search``: no code, just where it is."""
        d = asdict(self)
        d.pop("text")
        return d


def names_code(query: str) -> bool:
    """Does the query name code (an identifier, a dotted name) rather than describe it?"""
    return len(query.split()) == 1 or _CODE_NAME.search(query) is not None


def fuse(
    rankings: Sequence[Sequence[str]],
    weights: Sequence[float] | None = None,
    k: int = RRF_K,
    factor: Callable[[str], float] | None = None,
) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion: each id scores factor(id) * sum(w / (k + rank)); best
    first, ties by id."""
    scores: dict[str, float] = {}
    for n, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[n]
        for rank, cid in enumerate(ranking, 1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    if factor is not None:
        scores = {cid: v * factor(cid) for cid, v in scores.items()}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _kind_weight(row: ChunkRow | None) -> float:
    return WINDOW_WEIGHT if row is not None and row.kind == "window" else 1.0


def implementation_first(query: str, ranked: list[str], path_of: Callable[[str], str]) -> list[str]:
    """The candidates in tests after the others (each group in its own order): a description of
    behaviour wants the code that has it; a query that asks about tests gets the tests first."""
    code = [c for c in ranked if not is_test_path(path_of(c))]
    tests = [c for c in ranked if is_test_path(path_of(c))]
    return tests + code if asks_for_tests(query) else code + tests


class Searcher:
    def __init__(self, catalog: Catalog, store: VectorStore, embedder: Embedder) -> None:
        self.catalog = catalog
        self.store = store
        self.embedder = embedder

    async def search(
        self,
        tenant: str,
        query: str,
        k: int = 5,
        repo: str | None = None,
        mode: Mode = "hybrid",
    ) -> list[Hit]:
        n = max(k, CANDIDATES)
        vector_ids: list[tuple[str, float]] = []
        keyword_ids: list[tuple[str, float]] = []
        if mode in ("hybrid", "vector"):
            (qv,) = await asyncio.to_thread(self.embedder.embed_queries, [query])
            vector_ids = [(h.id, h.score) for h in await self.store.query(tenant, qv, n, repo)]
        if mode in ("hybrid", "keyword"):
            keyword_ids = await self.catalog.keyword(tenant, query, n, repo)
        rows = await self.catalog.rows(tenant, list({i: 0 for i, _ in vector_ids + keyword_ids}))
        if mode == "hybrid":
            kw = NAMES_CODE_WEIGHT if names_code(query) else PROSE_WEIGHT
            rankings = [[i for i, _ in vector_ids], [i for i, _ in keyword_ids]]
            candidates = fuse(rankings, [1.0, kw], factor=lambda i: _kind_weight(rows.get(i)))
        else:
            candidates = vector_ids or keyword_ids
        scores = dict(candidates)
        order = implementation_first(
            query, [i for i, _ in candidates if i in rows], lambda i: rows[i].path
        )
        ranked = [(i, scores[i]) for i in order[:k]]
        hits = []
        for cid, score in ranked:
            r = rows.get(cid)
            if r is None:  # removed between the two reads, or another tenant's id
                continue
            hits.append(
                Hit(
                    r.path,
                    r.start_line,
                    r.end_line,
                    r.symbol,
                    round(score, 6),
                    r.repo,
                    r.kind,
                    r.body,
                )
            )
        return hits
