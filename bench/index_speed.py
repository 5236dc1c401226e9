"""Indexing speed on a 100+ file repository (DevForge's own shared/, services/ and mcp/ at the
benchmarked commit), side by side in one run with plain ``SentenceTransformer.encode`` (torch,
its defaults) over the same unique chunks: both cold (no embedding cache), same model, same
maximum sequence length. Three rounds, each timing every side back to back in a turned order;
the speedup is the median of the per-round ratios, so drift in the machine's speed over minutes
weighs on both sides of a ratio alike. The indexer's float ONNX graph runs as a third side: it
splits the gain into what ONNX Runtime gives and what int8 adds.
Model load times are reported apart: the baseline's, the indexer's first export to ONNX (a
cold cache) and its load from the cache. Then the whole pipeline (git, chunking, secret scan,
embedding, PostgreSQL + pgvector): a cold full index, a re-index after a one-file change, and
the same commit again. Retrieval quality of the same vectors is bench/search_quality.py's."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT
from bench.search_common import database, git, git_copy, plain_model
from shared.index import embedder, gitsource
from shared.index.catalog import Catalog
from shared.index.embedder import Embedder
from shared.index.indexer import Indexer, file_chunks
from shared.index.pgvector_store import PgVectorStore

DIRS = ("shared/", "services/", "mcp/")
# Three rounds, each side once per round, the order turned round so no side always runs
# first or last.
ROUNDS = (
    ("plain_encode", "indexer_embed", "onnx_float_embed"),
    ("onnx_float_embed", "indexer_embed", "plain_encode"),
    ("plain_encode", "indexer_embed", "onnx_float_embed"),
)
MAX_BYTES = 512_000


def _snapshot() -> dict[str, bytes]:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    blobs = [b for p, b in gitsource.files(ROOT, head).items() if p.startswith(DIRS)]
    data = gitsource.read(ROOT, [b.sha for b in blobs], MAX_BYTES + 1)
    return {b.path: data[b.sha] for b in blobs}


def _unique_texts(files: dict[str, bytes]) -> list[str]:
    texts: set[str] = set()
    for path, data in files.items():
        chunks, _ = file_chunks(path, data, len(data), MAX_BYTES)
        texts.update(c.embed_text() for c in chunks)
    return sorted(texts)


def _loaded_from(cache: Path) -> tuple[Embedder, float]:
    """The indexer's embedder from a cold ONNX cache (first export timed), then loaded again
    from that cache as a restarted process would."""
    cold = Embedder(cache_dir=cache)
    cold.load()
    embedder._LOADED.clear()
    model = Embedder(cache_dir=cache)
    model.load()
    return model, cold.load_seconds


async def _measure() -> dict[str, Any]:
    files = _snapshot()
    texts = _unique_texts(files)
    started = time.perf_counter()
    st = plain_model(256)
    load_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="dfb-onnx-") as cache:
        model, export_s = _loaded_from(Path(cache))
        floats = Embedder(cache_dir=Path(cache), backend="onnx")  # the same export's float graph
        floats.load()
    sides: dict[str, Any] = {
        "plain_encode": lambda: st.encode(texts, normalize_embeddings=True),  # batch 32, sorted
        "indexer_embed": lambda: np.asarray(model.embed(texts)),
        "onnx_float_embed": lambda: np.asarray(floats.embed(texts)),
    }
    rates: dict[str, list[float]] = {side: [] for side in sides}
    vectors: dict[str, Any] = {}
    for order in ROUNDS:
        for side in order:
            t0 = time.perf_counter()
            vectors[side] = sides[side]()
            rates[side].append(len(texts) / (time.perf_counter() - t0))
    # The machine's speed drifts by 10-20 % over minutes, so each round compares sides
    # measured back to back, and the speedups are the medians of those per-round ratios.
    ratios = {
        side: [ours / plain for ours, plain in zip(rates[side], rates["plain_encode"], strict=True)]
        for side in ("indexer_embed", "onnx_float_embed")
    }
    agreement = np.sum(vectors["plain_encode"] * vectors["indexer_embed"], axis=1)
    plain = statistics.median(rates["plain_encode"])
    ours = statistics.median(rates["indexer_embed"])
    figures: dict[str, Any] = {
        "files": len(files),
        "unique_chunks": len(texts),
        "max_seq_length": st.max_seq_length,
        "indexer_backend": model.backend,
        "indexer_model_id": model.model_id,
        "plain_model_load_s": round(load_s, 2),
        "indexer_first_export_s": round(export_s, 2),
        "indexer_model_load_s": round(model.load_seconds, 2),
        "plain_encode_chunks_per_s": round(plain, 1),
        "indexer_embed_chunks_per_s": round(ours, 1),
        "speedup": round(statistics.median(ratios["indexer_embed"]), 2),
        "speedup_per_round": [round(r, 2) for r in ratios["indexer_embed"]],
        "onnx_float_chunks_per_s": round(statistics.median(rates["onnx_float_embed"]), 1),
        "onnx_float_speedup": round(statistics.median(ratios["onnx_float_embed"]), 2),
        "min_cosine_vs_plain": round(float(agreement.min()), 5),
        "mean_cosine_vs_plain": round(float(agreement.mean()), 5),
    }
    figures["pipeline"] = await _pipeline(files, model)
    return figures


async def _pipeline(files: dict[str, bytes], model: Embedder) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dfb-speed-") as tmp:
        repo = git_copy(files, Path(tmp) / "repo")
        async with database("speed") as pool:
            indexer = Indexer(Catalog(pool), PgVectorStore(pool), model, MAX_BYTES)
            full = await indexer.index("speed", "devforge", repo)
            target = repo / "shared" / "ids.py"
            target.write_text(
                target.read_text() + "\n\ndef bench_marker() -> str:\n    return 'changed'\n"
            )
            git(repo, "commit", "-qam", "one file")
            one = await indexer.index("speed", "devforge", repo)
            same = await indexer.index("speed", "devforge", repo)
    return {
        "full_index_s": round(full.seconds, 1),
        "full_chunks": full.chunks,
        "full_chunks_per_s": round(full.chunks / full.seconds, 1),
        "one_file_change_s": round(one.seconds, 2),
        "one_file_change_embedded": one.embedded,
        "same_commit_again_s": round(same.seconds, 3),
    }


def run() -> dict[str, Any]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
