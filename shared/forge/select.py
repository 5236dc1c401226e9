"""Which forge a repository lives on: a repository connected through the GitHub App (it has a
GitHub link in the registry) publishes to GitHub; any other to the local forge (the embedded
default). Also the credential git needs to read such a repository, minted for that one use."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from shared.forge.base import Forge
from shared.forge.github import gitauth, links
from shared.forge.github.app import READ, GitHubApp
from shared.forge.github.forge import GitHubForge
from shared.forge.local import LocalForge
from shared.settings import Settings


async def forge_for(
    settings: Settings, pool: asyncpg.Pool[Any], tenant: str, repo_id: str
) -> Forge:
    link = await links.of_repo(pool, tenant, repo_id)
    if link is None:
        return LocalForge(settings.home, pool)
    return GitHubForge(GitHubApp.from_settings(settings), pool, link)


async def git_env(
    settings: Settings, pool: asyncpg.Pool[Any], tenant: str, repo_id: str
) -> dict[str, str]:
    """Environment for one git call that reads the repository (empty: no credential needed)."""
    link = await links.of_repo(pool, tenant, repo_id)
    if link is None:
        return {}
    app = GitHubApp.from_settings(settings)
    token = await asyncio.to_thread(app.token, link.installation_id, READ)
    return gitauth.env_for(link.clone_url, token)
