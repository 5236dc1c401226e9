"""``devforge index`` (in this process, with a progress bar) and ``devforge search`` (asks the
running indexer over ``devforge.rpc.indexer.search``, like the agents do)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import typer
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from shared.cli.context import Conn, run, urls
from shared.db.pool import create_pool
from shared.ids import check_tenant, check_token
from shared.index import components
from shared.index.indexer import IndexReport
from shared.registry import UnknownTenant, tenant_exists
from shared.settings import get_settings

err = Console(stderr=True)
TenantOpt = typer.Option(None, "--tenant", help="tenant id (default: $DEVFORGE_TENANT)")


def _repo_name(path: Path) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", path.resolve().name.lower()).strip("-") or "repo"


def index(
    path: Path = typer.Argument(..., help="a local git repository (its HEAD is indexed)"),
    tenant: str = TenantOpt,
    repo: str = typer.Option(None, "--repo", help="the repository's name (default: PATH's)"),
    ref: str = typer.Option("HEAD", "--ref", help="the commit, branch or tag to index"),
) -> None:
    """Index a repository for one tenant: only what changed since the last run is embedded."""
    settings = get_settings()
    tenant = check_tenant(tenant or settings.tenant)
    name = check_token(repo or _repo_name(path), "repository name")
    if not (path / ".git").exists() and not (path / "HEAD").exists():
        raise ValueError(f"{path} is not a git repository")

    source = path.resolve()

    async def go() -> IndexReport:
        _, db_url = urls(settings)
        pool = await create_pool(db_url, max_size=2)
        try:
            if not await tenant_exists(pool, tenant):
                raise UnknownTenant(
                    f"tenant {tenant!r} is not registered (devforge tenants add {tenant})"
                )
            with err.status("loading the embedding model ..."):
                model = components.embedder(settings)
                await asyncio.to_thread(model.load)
            indexer, _ = components.build(settings, pool, model)
            with Progress(
                TextColumn("{task.description:>9}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                return await indexer.index(tenant, name, source, ref, progress)
        finally:
            await pool.close()

    report = asyncio.run(go())
    skipped = sum(report.skipped.values())
    what = (
        "already up to date"
        if report.unchanged
        else f"+{report.chunks_added} -{report.chunks_removed} chunks, "
        f"{report.embedded} embedded, {report.cached} from cache, {skipped} files skipped"
    )
    typer.echo(
        f"{tenant}/{name} at {report.commit[:12]}: {report.files} files, {report.chunks} chunks "
        f"({what}; {report.seconds:.1f} s)"
    )


async def _known_repo(c: Conn, tenant: str, repo: str) -> bool:
    """Registered (``devforge repos add``) or indexed by name (``devforge index``)."""
    return bool(
        await c.pool.fetchval(
            "SELECT 1 FROM repos WHERE tenant_id = $1 AND id = $2 UNION ALL "
            "SELECT 1 FROM code_index_state WHERE tenant_id = $1 AND repo_id = $2 LIMIT 1",
            tenant,
            repo,
        )
    )


def search(
    query: str = typer.Argument(..., help="what the code does, in words"),
    tenant: str = TenantOpt,
    repo: str = typer.Option(None, "--repo", help="only this repository"),
    k: int = typer.Option(5, "-k", "--k", min=1, max=50, help="how many hits"),
) -> None:
    """Search a tenant's code; prints a JSON list of hits (path, lines, symbol, score)."""
    tenant = check_tenant(tenant or get_settings().tenant)

    async def go(c: Conn) -> list[dict[str, object]]:
        if not await tenant_exists(c.pool, tenant):  # the indexer's own words for it
            raise UnknownTenant(f"tenant {tenant!r} is not in the registry")
        if repo is not None and not await _known_repo(c, tenant, repo):
            # the indexer would answer [] for a repository it never saw
            raise LookupError(
                f"repository {repo!r} is neither registered nor indexed for tenant {tenant!r} "
                f"(`devforge repos list --tenant {tenant}` shows its repositories)"
            )
        try:
            reply = await c.bus.search(tenant, query, k=k, repo=repo)
        except (NoRespondersError, NatsTimeout):
            raise RuntimeError(
                "the indexer did not answer (is the stack up? devforge up)"
            ) from None
        if reply.error:
            raise RuntimeError(reply.error)
        return [
            {
                "repo": h.repo,
                "path": h.path,
                "start_line": h.start_line,
                "end_line": h.end_line,
                "symbol": h.symbol,
                "score": h.score,
            }
            for h in reply.hits
        ]

    typer.echo(json.dumps(run(go), indent=2))
