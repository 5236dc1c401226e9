"""``devforge prs show|merge``: pull requests of the local forge."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from shared import registry
from shared.cli.context import Conn, run
from shared.forge.local import LocalForge
from shared.messages import RepoPushed
from shared.settings import get_settings

prs_app = typer.Typer(name="prs", help="Pull requests (local forge).", no_args_is_help=True)
out = Console(highlight=False)
TenantOpt = typer.Option(None, "--tenant", help="tenant id (default: $DEVFORGE_TENANT)")


async def _pr(c: Conn, tenant: str, job: str) -> dict[str, Any]:
    row = await c.pool.fetchrow(
        "SELECT * FROM pull_requests WHERE job_id = $1 AND tenant_id = $2", job, tenant
    )
    if row is None:
        raise LookupError(f"no pull request for job {job} of tenant {tenant}")
    return dict(row)


@prs_app.command("show")
def show(
    job: str, tenant: str = TenantOpt, patch: bool = typer.Option(False, "--patch", "-p")
) -> None:
    """A job's pull request: title, state, body, diff stat (and the patch with --patch)."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> tuple[dict[str, Any], str]:
        pr = await _pr(c, tenant, job)
        forge = LocalForge(c.settings.home, c.pool)
        diff = await forge.diff(tenant, pr["repo_id"], job, pr["base"], stat=not patch)
        return pr, diff

    pr, diff = run(go)
    out.print(f"[bold]#{pr['number']} {pr['title']}[/bold]  ({pr['state']})  {pr['url']}")
    out.print(f"{pr['branch']} → {pr['base']}\n")
    out.print(pr["body"], markup=False)
    out.print()
    out.print(diff, markup=False)


@prs_app.command("merge")
def merge(job: str, tenant: str = TenantOpt) -> None:
    """Merge a job's pull request into the default branch; announces repo.pushed."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> str:
        pr = await _pr(c, tenant, job)
        if pr["state"] != "open":
            raise LookupError(f"pull request #{pr['number']} is {pr['state']}")
        repo = await registry.get_repo(c.pool, tenant, pr["repo_id"])
        sha = await LocalForge(c.settings.home, c.pool).merge(
            tenant, repo.id, job, repo.default_branch
        )
        ref = f"refs/heads/{repo.default_branch}"
        await c.bus.publish_repo(
            tenant, repo.id, "pushed", RepoPushed(repo_id=repo.id, commit=sha, ref=ref)
        )
        return sha

    out.print(f"merged into the default branch at {run(go)[:12]}")
