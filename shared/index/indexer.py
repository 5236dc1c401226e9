"""Bring one repository's index to one commit: only files that changed since the indexed commit
are read, chunked and embedded; chunks of deleted or changed files are removed; content already
embedded is never embedded again; indexing the same commit twice changes nothing."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shared.index import gitsource
from shared.index.catalog import Catalog, IndexState, chunk_id
from shared.index.chunking import Chunk, chunk_file
from shared.index.embedder import Embedder
from shared.index.skip import skip_reason
from shared.index.store import VectorRecord, VectorStore
from shared.policy.secrets import scan

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IndexReport:
    commit: str
    unchanged: bool = False
    full: bool = False
    files_read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    chunks_added: int = 0
    chunks_removed: int = 0
    embedded: int = 0  # texts the model embedded in this run
    cached: int = 0  # texts whose embedding came from the cache
    files: int = 0
    chunks: int = 0
    seconds: float = 0.0


def file_chunks(
    path: str, data: bytes, size: int, max_bytes: int
) -> tuple[list[Chunk], str | None]:
    """(chunks, skip reason) of one file's content. Pure."""
    reason = skip_reason(path, data[:8192], size, max_bytes)
    if reason:
        return [], reason
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [], "not utf-8"
    if scan(text):
        return [], "secrets"
    return chunk_file(path, text), None


class Indexer:
    def __init__(
        self, catalog: Catalog, store: VectorStore, embedder: Embedder, max_file_bytes: int
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.max_file_bytes = max_file_bytes

    async def index(
        self,
        tenant: str,
        repo: str,
        source: Path,
        ref: str = "HEAD",
        progress: Progress | None = None,
    ) -> IndexReport:
        started = time.perf_counter()
        commit = await asyncio.to_thread(gitsource.resolve, source, ref)
        report = IndexReport(commit)
        state = await self.catalog.state(tenant, repo)
        model = self.embedder.model_id
        if state is not None and state.commit == commit and state.model == model:
            report.unchanged = True
            report.files, report.chunks = await self.catalog.totals(tenant, repo)
            report.seconds = time.perf_counter() - started
            return report
        blobs = await asyncio.to_thread(gitsource.files, source, commit)
        incremental = (
            state is not None
            and state.model == model
            and await asyncio.to_thread(gitsource.has_commit, source, state.commit)
        )
        if incremental:
            assert state is not None
            touched, deleted = await asyncio.to_thread(
                gitsource.changed, source, state.commit, commit
            )
            todo = [blobs[p] for p in sorted(touched) if p in blobs]
            old = await self.catalog.ids_of_paths(tenant, repo, sorted(touched | deleted))
        else:
            report.full = True
            todo = sorted(blobs.values(), key=lambda b: b.path)
            old = await self.catalog.ids_of_paths(tenant, repo, None)
            if state is not None and state.model != model:  # other vectors: start over
                await self._remove(tenant, old)
                report.chunks_removed += len(old)
                old = []
        new = await self._chunks(tenant, repo, source, todo, report, progress)
        old_ids = set(old)
        added = [(cid, c) for cid, c in new.items() if cid not in old_ids]
        gone = sorted(old_ids - set(new))
        await self._add(tenant, repo, added, report, progress)
        await self._remove(tenant, gone)
        report.chunks_added += len(added)
        report.chunks_removed += len(gone)
        report.files, report.chunks = await self.catalog.totals(tenant, repo)
        await self.catalog.set_state(
            tenant, repo, IndexState(commit, model, report.files, report.chunks)
        )
        report.seconds = time.perf_counter() - started
        return report

    async def _chunks(
        self,
        tenant: str,
        repo: str,
        source: Path,
        todo: list[gitsource.Blob],
        report: IndexReport,
        progress: Progress | None,
    ) -> dict[str, Chunk]:
        skipped: Counter[str] = Counter()
        readable = []
        for b in todo:
            reason = skip_reason(b.path, b"", b.size, self.max_file_bytes)
            if reason:
                skipped[reason] += 1
            else:
                readable.append(b)
        contents = await asyncio.to_thread(
            gitsource.read, source, [b.sha for b in readable], self.max_file_bytes + 1
        )
        out: dict[str, Chunk] = {}
        for i, b in enumerate(readable, 1):
            chunks, reason = file_chunks(
                b.path, contents.get(b.sha, b""), b.size, self.max_file_bytes
            )
            if reason:
                skipped[reason] += 1
            for c in chunks:
                out[chunk_id(tenant, repo, c)] = c
            if progress is not None:
                progress("reading", i, len(readable))
        report.files_read = len(readable)
        report.skipped = dict(skipped)
        return out

    async def _add(
        self,
        tenant: str,
        repo: str,
        added: list[tuple[str, Chunk]],
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        if not added:
            return
        model = self.embedder.model_id
        by_sha = {c.content_sha: c.embed_text() for _, c in added}
        vectors = await self.catalog.cached(tenant, model, list(by_sha))
        missing = [sha for sha in by_sha if sha not in vectors]
        report.cached = len(by_sha) - len(missing)

        def tick(done: int, total: int) -> None:
            if progress is not None:
                progress("embedding", done, total)

        fresh = await asyncio.to_thread(self.embedder.embed, [by_sha[sha] for sha in missing], tick)
        report.embedded = len(missing)
        vectors.update(zip(missing, fresh, strict=True))
        await self.catalog.cache(tenant, model, [(sha, vectors[sha]) for sha in missing])
        await self.store.upsert(
            tenant,
            [VectorRecord(cid, repo, c.path, vectors[c.content_sha]) for cid, c in added],
        )
        await self.catalog.add(tenant, repo, added)

    async def _remove(self, tenant: str, ids: list[str]) -> None:
        if ids:
            await self.store.delete(tenant, ids)
            await self.catalog.delete(tenant, ids)
