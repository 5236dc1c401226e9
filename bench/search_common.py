"""Helpers of the code-search benchmarks: a throwaway database, a git copy of a source tree,
and the ranking measures."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from shared.db.migrate import upgrade
from shared.db.pool import create_pool
from shared.embedded import servers
from shared.index.embedder import default_model

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@devforge.local",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@devforge.local",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
    "HOME": "/nonexistent",
}


@asynccontextmanager
async def database(*tenants: str) -> AsyncIterator[Any]:
    """A fresh PostgreSQL with the schema and the given tenants; yields a pool."""
    root = Path(tempfile.mkdtemp(prefix="dfb-idx-"))
    url = servers.start_postgres(root / "pg")
    try:
        upgrade(url)
        pool = await create_pool(url, max_size=4)
        for t in tenants:
            await pool.execute("INSERT INTO tenants (id, name) VALUES ($1, $1)", t)
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        servers.stop_postgres(root / "pg")
        shutil.rmtree(root, ignore_errors=True)


def git(repo: Path, *args: str) -> str:
    res = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=GIT_ENV, check=True
    )
    return res.stdout.strip()


def git_copy(files: dict[str, bytes], dest: Path) -> Path:
    """A one-commit repository holding ``files`` (relative path -> content)."""
    for rel, data in files.items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


def tree_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def rank_of(hits: Sequence[tuple[str, str | None]], expect: Sequence[dict[str, str]]) -> int | None:
    """1-based rank of the first hit that is an expected symbol (or one of its methods)."""
    for i, (path, symbol) in enumerate(hits, 1):
        for e in expect:
            if (
                path == e["path"]
                and symbol is not None
                and (symbol == e["symbol"] or symbol.startswith(e["symbol"] + "."))
            ):
                return i
    return None


def recall_mrr(ranks: Sequence[int | None], k: int) -> tuple[float, float]:
    recall = sum(1 for r in ranks if r is not None and r <= k) / len(ranks)
    mrr = sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks)
    return round(recall, 3), round(mrr, 3)


def plain_model(max_seq_length: int) -> Any:
    """The baseline: sentence-transformers on torch, as a user would load it."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(os.cpu_count() or 1)
    st = SentenceTransformer(default_model(), device="cpu")
    st.max_seq_length = max_seq_length
    return st
