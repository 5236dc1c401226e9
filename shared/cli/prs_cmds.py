"""``devforge prs show|merge``: pull requests of the local forge."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from shared import registry
from shared.cli.context import Conn, NotFound, require_tenant, run
from shared.cli.tables import id_column, new_table, printed_as_json_or_none
from shared.forge.local import LocalForge
from shared.messages import RepoPushed
from shared.settings import get_settings

prs_app = typer.Typer(name="prs", help="Pull requests (local forge).", no_args_is_help=True)
out = Console(highlight=False)
TenantOpt = typer.Option(None, "--tenant", help="tenant id (default: $DEVFORGE_TENANT)")


async def _pr(c: Conn, tenant: str, job: str) -> dict[str, Any]:
    await require_tenant(c, tenant)
    row = await c.pool.fetchrow(
        "SELECT * FROM pull_requests WHERE job_id = $1 AND tenant_id = $2", job, tenant
    )
    if row is None:
        raise NotFound(
            f"no pull request for job {job} of tenant {tenant} "
            f"(`devforge prs list --tenant {tenant}` shows its pull requests)"
        )
    return dict(row)


@prs_app.command("list")
def prs_list(
    tenant: str = TenantOpt,
    state: str = typer.Option(None, "--state", help="only these: open, merged, ..."),
    limit: int = typer.Option(50, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The tenant's pull requests, newest first: number, job, title, state."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> list[dict[str, Any]]:
        await require_tenant(c, tenant)
        rows = await c.pool.fetch(
            "SELECT number, job_id, repo_id, title, state, branch, base, url, created_at "
            "FROM pull_requests WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2) "
            "ORDER BY created_at DESC, number DESC LIMIT $3",
            tenant,
            state,
            limit,
        )
        return [dict(r) for r in rows]

    rows = run(go)
    if printed_as_json_or_none(rows, as_json, f"no pull requests for tenant {tenant}"):
        return
    table = new_table()
    table.add_column("#", no_wrap=True, justify="right")
    id_column(table, "job")
    table.add_column("repo", overflow="fold")
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("state", no_wrap=True)
    for r in rows:
        table.add_row(str(r["number"]), r["job_id"], r["repo_id"], r["title"], r["state"])
    out.print(table)
    out.print(f"[dim]see one: devforge prs show JOB --tenant {tenant} [--patch][/dim]")


@prs_app.command("show")
def show(
    job: str,
    tenant: str = TenantOpt,
    patch: bool = typer.Option(
        False, "--patch", "-p", help="only the patch, raw, on stdout (for git apply)"
    ),
) -> None:
    """A job's pull request: title, state, body and diff stat; with --patch only the patch."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> tuple[dict[str, Any], str]:
        pr = await _pr(c, tenant, job)
        forge = LocalForge(c.settings.home, c.pool)
        diff = await forge.diff(tenant, pr["repo_id"], job, pr["base"], stat=not patch)
        return pr, diff

    pr, diff = run(go)
    if patch:  # exactly what git wrote: no wrapping, no markup, nothing else on stdout
        sys.stdout.write(diff)
        sys.stdout.flush()
        return
    out.print(f"[bold]#{pr['number']} {escape(pr['title'])}[/bold]  ({pr['state']})  {pr['url']}")
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
