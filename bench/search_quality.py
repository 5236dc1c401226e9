"""Retrieval quality of code search on real repositories, each from its PyPI sdist, vendored in
bench/data/<name> with its tests: boltons 26.2.0, click 8.1.7 and Jinja2 3.1.4 (CORPORA). Each
has its queries in bench/data/<name>_queries.json, written as descriptions of behaviour, each
with the functions or classes that answer it (a hit on one of a class's methods counts); a few
ask for a test, and their answer is the test function. Each corpus is indexed in a database of
its own. Figures per corpus: recall@5 and MRR@5 for vector-only, keyword-only and hybrid search,
and test_hits_at_1: of the queries that do not ask about tests, the fraction whose first hit is
in a test file (the search should rank the implementation above the tests that exercise it).
Also, apart: queries that name an identifier (as a developer types it), and vector-only search
with plain ``SentenceTransformer.encode`` vectors (torch, float) of the same chunks: the
indexer's embedding path (int8 ONNX by default) must agree with it within a point. The top-level
figures aggregate all corpora, each query counting once (the query-weighted mean)."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from bench.common import ROOT
from bench.search_common import database, git_copy, plain_model, rank_of, recall_mrr, tree_files
from shared.index.catalog import Catalog
from shared.index.embedder import Embedder
from shared.index.indexer import Indexer
from shared.index.keywords import split_identifier
from shared.index.pgvector_store import PgVectorStore
from shared.index.search import Mode, Searcher, fuse

DATA = ROOT / "bench" / "data"
K = 5
MODES: tuple[Mode, ...] = ("vector", "keyword", "hybrid")
# Every corpus gets a database of its own, with this one tenant: chunk ids hash the tenant and
# break ties in the rankings, so boltons' figures stay comparable with the runs before.
TENANT = "quality"
# (directory under bench/data, its queries file)
CORPORA: tuple[tuple[str, str], ...] = (
    ("boltons", "boltons_queries.json"),
    ("click", "click_queries.json"),
    ("jinja2", "jinja2_queries.json"),
)
NOTES = (
    "Top-level figures: the aggregate over the corpora, each query counting once (the "
    "query-weighted mean); corpora.<name>: each repository alone, indexed in a database of "
    "its own. recall_at_5 / mrr_at_5 over every behaviour query; test_hits_at_1: of the "
    "queries that do not ask for a test, the fraction whose first hit is under a tests/ "
    "directory (lower is better; given for the identifier queries too); "
    "test_queries_recall_at_5: recall of the queries that ask for a test. identifiers_*: "
    "queries that name an identifier. vector_plain_encode: vector-only search with plain "
    "float SentenceTransformer.encode vectors of the same chunks. baseline_*: the outside "
    "baselines on the function, class and method chunks: rank_bm25's BM25Okapi (default "
    "parameters, identifier-split tokens), float all-MiniLM-L6-v2, and their reciprocal-rank "
    "fusion (k = 60). Before the keyword leg became BM25 (PostgreSQL english full text, no "
    "test or window rule; commit aa9eb0b, same queries): hybrid 0.727 / 0.558 aggregate "
    "(boltons 0.836 / 0.671, click 0.707 / 0.496, Jinja2 0.55 / 0.415), keyword 0.409 / 0.244."
)


@dataclass(frozen=True)
class Outcome:
    """One query's result: the rank of its first expected hit, and the path of the first hit."""

    rank: int | None
    top_path: str | None


def is_test_path(path: str) -> bool:
    return any(part in {"tests", "test"} for part in PurePosixPath(path).parts[:-1])


def asks_for_test(query: dict[str, Any]) -> bool:
    """A query whose every expected answer lives under tests/ asks about a test."""
    return all(is_test_path(e["path"]) for e in query["expect"])


def defined_symbols(source: str) -> set[str]:
    """Qualified names the chunker gives: ``func``, ``Class``, ``Class.method``, also for
    definitions under a module-level ``if``/``try`` (never inside a function body)."""
    names: set[str] = set()

    def walk(body: Sequence[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(prefix + node.name)
                if isinstance(node, ast.ClassDef):
                    walk(node.body, f"{prefix}{node.name}.")
            else:  # if / try / with / for at this level: what they define is defined here
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(node, field, [])
                    walk([n for n in inner if isinstance(n, ast.stmt)], prefix)
                for handler in getattr(node, "handlers", []):
                    walk(handler.body, prefix)

    walk(ast.parse(source).body, "")
    return names


def check_expectations(root: Path, spec: dict[str, Any]) -> None:
    """Every expected symbol must exist at its path, or the figures measure nothing."""
    cache: dict[str, set[str]] = {}
    missing = []
    for q in [*spec["queries"], *spec["identifier_queries"]]:
        for e in q["expect"]:
            if e["path"] not in cache:
                p = root / e["path"]
                cache[e["path"]] = defined_symbols(p.read_text()) if p.is_file() else set()
            if e["symbol"] not in cache[e["path"]]:
                missing.append(f"{e['path']}:{e['symbol']}")
    if missing:
        raise ValueError(f"{root.name}: expected symbols not found: {', '.join(missing)}")


def summary(outcomes: Sequence[Outcome], queries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    recall, mrr = recall_mrr([o.rank for o in outcomes], K)
    figures: dict[str, Any] = {f"recall_at_{K}": recall, f"mrr_at_{K}": mrr}
    other = [o for o, q in zip(outcomes, queries, strict=True) if not asks_for_test(q)]
    if other:
        hits = sum(1 for o in other if o.top_path is not None and is_test_path(o.top_path))
        figures["test_hits_at_1"] = round(hits / len(other), 3)
    asking = [o for o, q in zip(outcomes, queries, strict=True) if asks_for_test(q)]
    if asking:  # tests are still found when a query asks for them
        found = sum(1 for o in asking if o.rank is not None and o.rank <= K)
        figures[f"test_queries_recall_at_{K}"] = round(found / len(asking), 3)
    return figures


async def _measure() -> dict[str, Any]:
    specs = {name: json.loads((DATA / queries).read_text()) for name, queries in CORPORA}
    for name, spec in specs.items():
        check_expectations(DATA / name, spec)
    model = Embedder()
    model.load()
    plain = plain_model(model.max_seq_length)
    corpora: dict[str, Any] = {}
    pooled: dict[str, tuple[list[Outcome], list[dict[str, Any]]]] = {}
    for name, _ in CORPORA:
        figures, runs = await _corpus(name, specs[name], model, plain)
        corpora[name] = figures
        for kind, (outcomes, queries) in runs.items():
            so_far = pooled.setdefault(kind, ([], []))
            so_far[0].extend(outcomes)
            so_far[1].extend(queries)
    every = [q for name, _ in CORPORA for q in specs[name]["queries"]]
    aggregate: dict[str, Any] = {
        "notes": NOTES,
        "behaviour_queries": len(every),
        "test_queries": sum(1 for q in every if asks_for_test(q)),
        "identifier_queries": sum(len(specs[name]["identifier_queries"]) for name, _ in CORPORA),
    }
    for kind, (outcomes, queries) in pooled.items():
        aggregate[kind] = summary(outcomes, queries)
    return {**aggregate, "corpora": corpora}


async def _corpus(
    name: str, spec: dict[str, Any], model: Embedder, plain: Any
) -> tuple[dict[str, Any], dict[str, tuple[list[Outcome], list[dict[str, Any]]]]]:
    """One repository in a database of its own: its figures, and each run's outcomes."""
    with tempfile.TemporaryDirectory(prefix="dfb-q-") as tmp:
        repo = git_copy(tree_files(DATA / name), Path(tmp) / name)
        async with database(TENANT) as pool:
            catalog = Catalog(pool)
            store = PgVectorStore(pool)
            report = await Indexer(catalog, store, model, 512_000).index(TENANT, name, repo)
            searcher = Searcher(catalog, store, model)
            runs: dict[str, tuple[list[Outcome], list[dict[str, Any]]]] = {}
            for mode in MODES:
                qs = spec["queries"]
                runs[mode] = (await _score(searcher, qs, mode), qs)
            for mode in MODES:
                qs = spec["identifier_queries"]
                runs[f"identifiers_{mode}"] = (await _score(searcher, qs, mode), qs)
            runs["vector_plain_encode"] = (
                await _plain(pool, plain, spec["queries"]),
                spec["queries"],
            )
            for baseline, outcomes in (await _baselines(pool, plain, spec["queries"])).items():
                runs[baseline] = (outcomes, spec["queries"])
    figures: dict[str, Any] = {
        "repository": spec["repository"],
        "files": report.files,
        "chunks": report.chunks,
        "behaviour_queries": len(spec["queries"]),
        "test_queries": sum(1 for q in spec["queries"] if asks_for_test(q)),
        "identifier_queries": len(spec["identifier_queries"]),
    }
    for kind, (outcomes, queries) in runs.items():
        figures[kind] = summary(outcomes, queries)
    return figures, runs


async def _score(searcher: Searcher, queries: list[dict[str, Any]], mode: Mode) -> list[Outcome]:
    outcomes = []
    for q in queries:
        hits = await searcher.search(TENANT, q["query"], K, mode=mode)
        outcomes.append(
            Outcome(
                rank_of([(h.path, h.symbol) for h in hits], q["expect"]),
                hits[0].path if hits else None,
            )
        )
    return outcomes


async def _plain(pool: Any, st: Any, queries: list[dict[str, Any]]) -> list[Outcome]:
    """Vector-only search with vectors from plain ``encode`` over the same chunk texts."""
    rows = await pool.fetch(
        "SELECT path, symbol, body FROM code_chunks WHERE tenant_id = $1 ORDER BY id", TENANT
    )
    texts = [
        (f"{r['path']} {r['symbol']}" if r["symbol"] else r["path"]) + "\n" + r["body"]
        for r in rows
    ]
    matrix = st.encode(texts, normalize_embeddings=True)
    qv = st.encode([q["query"] for q in queries], normalize_embeddings=True)
    outcomes = []
    for q, v in zip(queries, qv, strict=True):
        top = np.argsort(-(matrix @ v))[:K]
        outcomes.append(
            Outcome(
                rank_of([(rows[i]["path"], rows[i]["symbol"]) for i in top], q["expect"]),
                rows[top[0]]["path"] if len(top) else None,
            )
        )
    return outcomes


def _words(text: str) -> list[str]:
    """The baseline's tokens: every identifier split into its lower-case words."""
    return [
        w for ident in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text) for w in split_identifier(ident)
    ]


async def _baselines(pool: Any, st: Any, queries: list[dict[str, Any]]) -> dict[str, list[Outcome]]:
    """The outside baselines on the function, class and method chunks: rank_bm25's BM25Okapi
    (default parameters) over identifier-split tokens, float all-MiniLM-L6-v2 vectors (plain
    ``encode``), and their reciprocal-rank fusion (k = 60)."""
    from rank_bm25 import BM25Okapi

    rows = await pool.fetch(
        "SELECT path, symbol, body FROM code_chunks WHERE tenant_id = $1 AND kind <> 'window' "
        "ORDER BY id",
        TENANT,
    )
    texts = [f"{r['path']} {r['symbol']}\n{r['body']}" for r in rows]
    bm25 = BM25Okapi([_words(t) for t in texts])
    matrix = st.encode(texts, normalize_embeddings=True)
    qv = st.encode([q["query"] for q in queries], normalize_embeddings=True)
    where = [(r["path"], r["symbol"]) for r in rows]
    out: dict[str, list[Outcome]] = {"baseline_bm25": [], "baseline_minilm": [], "baseline_rrf": []}
    for q, v in zip(queries, qv, strict=True):
        by_words = [int(i) for i in np.argsort(-bm25.get_scores(_words(q["query"])))[:50]]
        by_vector = [int(i) for i in np.argsort(-(matrix @ v))[:50]]
        fused = [int(i) for i, _ in fuse([[str(i) for i in by_words], [str(i) for i in by_vector]])]
        for name, ranked in (
            ("baseline_bm25", by_words),
            ("baseline_minilm", by_vector),
            ("baseline_rrf", fused),
        ):
            top = ranked[:K]
            out[name].append(
                Outcome(
                    rank_of([where[i] for i in top], q["expect"]),
                    where[top[0]][0] if top else None,
                )
            )
    return out


def run() -> dict[str, Any]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
