"""What an agent service needs to work on a job: the ticket, the plan and a working copy of
the job branch, rebuilt from the job's event log and the workspace remote."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import registry, workspace
from shared.bus import history
from shared.forge import select
from shared.messages import TaskPlan
from shared.service import Context


class JobStateMissing(LookupError):
    """The job's log lacks what this step needs (the ticket, the plan)."""


@dataclass
class JobWork:
    tenant: str
    job_id: str
    ticket: dict[str, Any]
    repo: registry.Repo
    remote: Path
    workdir: Path
    entries: list[history.Entry]

    @property
    def branch(self) -> str:
        return workspace.branch_of(self.job_id)

    @property
    def follow_up_of(self) -> str | None:
        """The job whose pull request this job continues (a review comment on it)."""
        value = self.ticket.get("follow_up_of")
        return str(value) if value else None

    def plan(self) -> TaskPlan:
        body = history.last(self.entries, "ticket.planned")
        if body is None:
            raise JobStateMissing(f"job {self.job_id} has no plan")
        return TaskPlan.model_validate(body["plan"])


def source_url(url: str) -> str:
    """Where git reads a registered repository from (``file://`` URLs as plain paths)."""
    return url.removeprefix("file://") if url.startswith("file://") else url


async def load(ctx: Context, *, checkout: bool = True) -> JobWork:
    assert ctx.job_id is not None
    entries = await history.read(ctx.bus.js, ctx.tenant, ctx.job_id)
    ticket = history.first(entries, "ticket.submitted")
    if ticket is None:
        raise JobStateMissing(f"job {ctx.job_id} has no ticket.submitted in its log")
    repo = await registry.get_repo(ctx.pool, ctx.tenant, ticket["repo"])
    home = ctx.service.settings.home.resolve()
    env = await select.git_env(ctx.service.settings, ctx.pool, ctx.tenant, repo.id)
    remote = await asyncio.to_thread(
        workspace.workspace_remote,
        home,
        ctx.tenant,
        repo.id,
        source_url(repo.url),
        repo.default_branch,
        env,
    )
    workdir = home / "work" / f"{ctx.service.name}-{os.getpid()}" / ctx.job_id
    parent = ticket.get("follow_up_of")
    if checkout:
        await asyncio.to_thread(
            workspace.checkout,
            remote,
            ctx.job_id,
            repo.default_branch,
            workdir,
            workspace.branch_of(parent) if parent else None,
        )
    return JobWork(ctx.tenant, ctx.job_id, ticket, repo, remote, workdir, entries)
