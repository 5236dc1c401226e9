"""Keep each tenant's index at the commit its repository was last connected or pushed at, and
answer searches. Both run against the tenant's own namespace only."""

from __future__ import annotations

import asyncio
from typing import Any

from shared import registry
from shared.forge import select
from shared.index import components
from shared.index.embedder import Embedder
from shared.index.indexer import Indexer
from shared.index.search import Searcher
from shared.index.sources import local_source
from shared.messages import (
    RepoConnected,
    RepoPushed,
    SearchHit,
    SearchReply,
    SearchRequest,
    Unreadable,
    decode,
)
from shared.registry import UnknownTenant
from shared.service import Context, Service

_parts: dict[int, tuple[Indexer, Searcher]] = {}
_model: list[Embedder] = []
_lock = asyncio.Lock()


async def parts(service: Service) -> tuple[Indexer, Searcher]:
    """The indexer and searcher of this process. The model is loaded once, on the first repo
    event or search, not at start-up: an idle stack does not hold it in memory."""
    assert service.pool is not None
    async with _lock:
        key = id(service)
        if key not in _parts:
            if not _model:
                model = components.embedder(service.settings)
                await asyncio.to_thread(model.load)
                _model.append(model)
                if service.log is not None:
                    service.log.info("model_loaded", model=model.model_id, s=model.load_seconds)
            _parts[key] = components.build(service.settings, service.pool, _model[0])
        return _parts[key]


async def on_repo(ctx: Context, msg: RepoConnected | RepoPushed) -> None:
    assert ctx.repo_id is not None
    repo = await registry.get_repo(ctx.pool, ctx.tenant, ctx.repo_id)
    ref = msg.commit if isinstance(msg, RepoPushed) else repo.default_branch
    env = await select.git_env(ctx.service.settings, ctx.pool, ctx.tenant, repo.id)
    source = await asyncio.to_thread(
        local_source, repo.url, ctx.service.settings.mirrors_dir(), ctx.tenant, repo.id, env
    )
    indexer, _ = await parts(ctx.service)
    report = await indexer.index(ctx.tenant, repo.id, source, ref)
    ctx.log.info(
        "indexed",
        repo=repo.id,
        commit=report.commit,
        unchanged=report.unchanged,
        full=report.full,
        files_read=report.files_read,
        skipped=report.skipped,
        added=report.chunks_added,
        removed=report.chunks_removed,
        embedded=report.embedded,
        cached=report.cached,
        chunks=report.chunks,
        seconds=round(report.seconds, 3),
    )


async def search(service: Service, data: bytes) -> dict[str, Any]:
    """``devforge.rpc.indexer.search``: the tenant's best chunks for a query."""
    assert service.tenants is not None
    try:
        req = decode(SearchRequest, data)
        await service.tenants.require(req.tenant)
    except (Unreadable, UnknownTenant) as exc:
        return SearchReply(error=str(exc)).model_dump(mode="json")
    _, searcher = await parts(service)
    hits = await searcher.search(req.tenant, req.query, req.k, req.repo)
    reply = SearchReply(
        hits=[
            SearchHit(
                repo=h.repo,
                path=h.path,
                start_line=h.start_line,
                end_line=h.end_line,
                symbol=h.symbol,
                kind=h.kind,
                score=h.score,
                text=h.text,
            )
            for h in hits
        ]
    )
    return reply.model_dump(mode="json")
