"""The local forge (embedded default): bare repositories under the data directory and pull
request records in PostgreSQL. The diff is read from the forge repository; merging publishes
``repo.pushed`` like a real forge's push webhook."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from shared import workspace
from shared.forge.base import PrRequest, PullRequest
from shared.workspace import git


class LocalForge:
    def __init__(self, home: Path, pool: asyncpg.Pool[Any]) -> None:
        self.home = home.resolve()
        self.pool = pool

    def repo_path(self, tenant: str, repo_id: str) -> Path:
        return self.home / "forge" / tenant / f"{repo_id}.git"

    def _ensure(self, tenant: str, repo_id: str, source_url: str, base: str) -> Path:
        path = self.repo_path(tenant, repo_id)
        if not (path / "HEAD").exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            git(None, "clone", "--bare", "--quiet", source_url, str(path))
        else:
            git(path, "fetch", "--quiet", source_url, f"+refs/heads/{base}:refs/heads/{base}")
        return path

    def _squash_and_push(self, req: PrRequest, forge_repo: Path) -> str:
        with tempfile.TemporaryDirectory(prefix="df-pr-") as tmp:
            wc = Path(tmp) / "wc"
            git(None, "clone", "--quiet", str(req.workspace), str(wc))
            git(
                wc,
                "fetch",
                "--quiet",
                str(forge_repo),
                f"+refs/heads/{req.base}:refs/remotes/forge/base",
            )
            git(wc, "checkout", "--quiet", "-B", "pr", "refs/remotes/forge/base")
            git(wc, "merge", "--squash", "--quiet", f"origin/{req.branch}")
            if git(wc, "status", "--porcelain"):
                git(
                    wc,
                    "commit",
                    "--quiet",
                    "--no-verify",
                    "-m",
                    req.title,
                    "-m",
                    "DevForge job " + req.job_id,
                )
            git(wc, "push", "--quiet", "--force", str(forge_repo), f"HEAD:refs/heads/{req.branch}")
            return workspace.head(wc)

    async def open_pr(self, req: PrRequest) -> PullRequest:
        existing = await self.pool.fetchrow(
            "SELECT number, url, branch, base, head FROM pull_requests WHERE job_id = $1",
            req.job_id,
        )
        if existing is not None:
            return PullRequest(**dict(existing), created=False)
        forge_repo = await asyncio.to_thread(
            self._ensure, req.tenant, req.repo_id, req.source_url, req.base
        )
        head = await asyncio.to_thread(self._squash_and_push, req, forge_repo)
        for _ in range(5):  # another job of the same repository may take a number meanwhile
            try:
                row = await self.pool.fetchrow(
                    "INSERT INTO pull_requests (tenant_id, job_id, repo_id, number, url, branch, "
                    "base, title, body, head) SELECT $1, $2, $3, n, "
                    "'local://' || $1 || '/' || $3 || '/pulls/' || n, $4, $5, $6, $7, $8 FROM "
                    "(SELECT coalesce(max(number), 0) + 1 AS n FROM pull_requests "
                    " WHERE tenant_id = $1 AND repo_id = $3) s "
                    "ON CONFLICT (job_id) DO NOTHING RETURNING number, url, branch, base, head",
                    req.tenant,
                    req.job_id,
                    req.repo_id,
                    req.branch,
                    req.base,
                    req.title,
                    req.body,
                    head,
                )
            except asyncpg.UniqueViolationError:
                continue
            if row is None:  # a concurrent delivery of the same job won
                return await self.open_pr(req)
            return PullRequest(**dict(row), created=True)
        raise RuntimeError("could not allocate a pull request number")

    async def diff(self, tenant: str, repo_id: str, job_id: str, base: str, stat: bool) -> str:
        path = self.repo_path(tenant, repo_id)
        branch = workspace.branch_of(job_id)
        args = ["diff", "--stat" if stat else "--patch", f"refs/heads/{base}...refs/heads/{branch}"]
        # a patch as git wrote it: stripped, its last hunk's blank context lines would be lost
        return await asyncio.to_thread(lambda: git(path, *args, strip=stat))

    async def merge(self, tenant: str, repo_id: str, job_id: str, base: str) -> str:
        """Merge the PR into the base branch; the new base commit."""
        path = self.repo_path(tenant, repo_id)
        branch = workspace.branch_of(job_id)

        def _merge() -> str:
            with tempfile.TemporaryDirectory(prefix="df-merge-") as tmp:
                wc = Path(tmp) / "wc"
                git(None, "clone", "--quiet", "--branch", base, str(path), str(wc))
                git(
                    wc,
                    "merge",
                    "--no-ff",
                    "--quiet",
                    "-m",
                    f"Merge DevForge job {job_id}",
                    f"origin/{branch}",
                )
                git(wc, "push", "--quiet", "origin", f"HEAD:refs/heads/{base}")
                return workspace.head(wc)

        sha = await asyncio.to_thread(_merge)
        await self.pool.execute(
            "UPDATE pull_requests SET state = 'merged' WHERE job_id = $1", job_id
        )
        return sha
