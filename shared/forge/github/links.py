"""Which tenant owns which GitHub App installation, and which registry repository is which
GitHub repository. Written by the connect flow, read by the forge and the webhook receiver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(frozen=True)
class RepoLink:
    tenant: str
    repo_id: str
    installation_id: int
    github_id: int
    full_name: str
    clone_url: str  # the registry's URL of the repository
    default_branch: str


_SELECT = (
    "SELECT g.tenant_id, g.repo_id, g.installation_id, g.github_id, g.full_name, r.url, "
    "r.default_branch FROM github_repos g JOIN repos r ON r.tenant_id = g.tenant_id "
    "AND r.id = g.repo_id "
)


def _link(row: asyncpg.Record | None) -> RepoLink | None:
    return None if row is None else RepoLink(*row.values())


async def claim_installation(
    pool: asyncpg.Pool[Any], installation_id: int, tenant: str, account: str, by: str
) -> str:
    """Record the installation as the tenant's if nobody holds it; the owning tenant."""
    await pool.execute(
        "INSERT INTO github_installations (installation_id, tenant_id, account, connected_by) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (installation_id) DO NOTHING",
        installation_id,
        tenant,
        account,
        by,
    )
    owner = await pool.fetchval(
        "SELECT tenant_id FROM github_installations WHERE installation_id = $1", installation_id
    )
    return str(owner)


async def add(
    pool: asyncpg.Pool[Any],
    tenant: str,
    repo_id: str,
    installation_id: int,
    github_id: int,
    full_name: str,
) -> None:
    await pool.execute(
        "INSERT INTO github_repos (tenant_id, repo_id, installation_id, github_id, full_name) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, repo_id) DO NOTHING",
        tenant,
        repo_id,
        installation_id,
        github_id,
        full_name,
    )


async def of_repo(pool: asyncpg.Pool[Any], tenant: str, repo_id: str) -> RepoLink | None:
    """The GitHub link of a registry repository; None for a repository of another forge."""
    row = await pool.fetchrow(
        _SELECT + "WHERE g.tenant_id = $1 AND g.repo_id = $2", tenant, repo_id
    )
    return _link(row)


async def of_github(
    pool: asyncpg.Pool[Any], installation_id: int, github_id: int
) -> RepoLink | None:
    """The repository a webhook delivery names (its installation decides the tenant)."""
    row = await pool.fetchrow(
        _SELECT + "WHERE g.installation_id = $1 AND g.github_id = $2", installation_id, github_id
    )
    return _link(row)


async def pr_job(pool: asyncpg.Pool[Any], link: RepoLink, number: int) -> str | None:
    """The DevForge job whose pull request has this number (None: not a DevForge PR)."""
    job = await pool.fetchval(
        "SELECT job_id FROM pull_requests WHERE tenant_id = $1 AND repo_id = $2 AND number = $3",
        link.tenant,
        link.repo_id,
        number,
    )
    return None if job is None else str(job)
