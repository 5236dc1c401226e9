"""``devforge tenants`` and ``devforge repos``: the one way to register both (until the gateway)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from shared import registry
from shared.cli.context import Conn, require_tenant, run
from shared.ids import InvalidId
from shared.settings import get_settings

tenants_app = typer.Typer(name="tenants", help="Register and list tenants.", no_args_is_help=True)
repos_app = typer.Typer(name="repos", help="Register and list repositories.", no_args_is_help=True)
out = Console()

TenantOpt = typer.Option(None, "--tenant", help="tenant id (default: $DEVFORGE_TENANT)")


@tenants_app.command("add")
def tenants_add(
    name: str,
    display_name: str = typer.Option(None, "--display-name"),
    external_id: str = typer.Option(None, "--external-id", help="the identity provider's org id"),
) -> None:
    """Register tenant NAME (a slug of a-z, 0-9 and '-') and announce tenant.created."""

    async def go(c: Conn) -> bool:
        return await registry.add_tenant(c.pool, c.bus, name, display_name, external_id)

    created = run(go)
    out.print(f"tenant {name} {'registered' if created else 'already registered'}")


@tenants_app.command("list")
def tenants_list(as_json: bool = typer.Option(False, "--json")) -> None:
    async def go(c: Conn) -> list[dict[str, object]]:
        return await registry.list_tenants(c.pool)

    rows = run(go)
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    table = Table("id", "name", "external id", "created")
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["name"]), str(r["external_id"] or ""), str(r["created_at"])
        )
    out.print(table)


def _local_repo(path: Path) -> tuple[str, str]:
    """(url, default branch) of a local git repository, or a clear error."""
    path = path.resolve()
    try:
        branch = subprocess.run(
            ["git", "-C", str(path), "symbolic-ref", "--short", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise InvalidId(f"{path} is not a git repository with a checked-out branch") from None
    return f"file://{path}", branch


@repos_app.command("add")
def repos_add(
    location: str = typer.Argument(..., help="a local path or a clone URL"),
    name: str = typer.Option(..., "--name", help="the name every --repo option takes"),
    tenant: str = TenantOpt,
    default_branch: str = typer.Option(None, "--default-branch", help="for URLs (default: main)"),
    test_command: str = typer.Option(
        None, "--test-command", help="how its tests run, e.g. 'python -m pytest -q tests/unit'"
    ),
) -> None:
    """Register a repository for a tenant and announce repo.connected."""
    tenant = tenant or get_settings().tenant
    if "://" in location or location.startswith("git@"):
        url, branch = location, default_branch or "main"
    else:
        url, branch = _local_repo(Path(location))
        branch = default_branch or branch

    async def go(c: Conn) -> registry.Repo:
        return await registry.add_repo(c.pool, c.bus, tenant, name, url, branch, test_command)

    repo = run(go)
    tests = f"; tests: {repo.test_command}" if repo.test_command else ""
    out.print(
        f"repository {repo.id} of tenant {tenant}: {repo.url} (default branch {branch}){tests}"
    )


@repos_app.command("list")
def repos_list(tenant: str = TenantOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> list[registry.Repo]:
        await require_tenant(c, tenant)
        return await registry.list_repos(c.pool, tenant)

    repos = run(go)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in repos]))
        return
    table = Table("name", "url", "default branch")
    for r in repos:
        table.add_row(r.id, r.url, r.default_branch)
    out.print(table)
