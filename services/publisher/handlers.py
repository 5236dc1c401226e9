"""Open the PR once per job: a redelivered ``qa.passed`` finds the PR already open."""

from __future__ import annotations

import asyncio

from shared import workspace
from shared.crew import jobwork
from shared.forge import body
from shared.forge.base import PrRequest
from shared.forge.local import LocalForge
from shared.messages import PrOpened, QaPassed
from shared.service import Context


async def on_qa_passed(ctx: Context, msg: QaPassed) -> None:
    work = await jobwork.load(ctx, checkout=False)
    base = work.repo.default_branch
    diffstat = await asyncio.to_thread(
        workspace.git, work.remote, "diff", "--stat", f"refs/heads/{base}", msg.commit
    )
    forge = LocalForge(ctx.service.settings.home, ctx.pool)
    pr = await forge.open_pr(
        PrRequest(
            tenant=ctx.tenant,
            job_id=work.job_id,
            repo_id=work.repo.id,
            source_url=jobwork.source_url(work.repo.url),
            workspace=work.remote,
            branch=work.branch,
            base=base,
            title=body.title(work.entries),
            body=body.body(work.entries, diffstat),
        )
    )
    ctx.log.info("pr", number=pr.number, created=pr.created)
    await ctx.publish(PrOpened(url=pr.url, number=pr.number, branch=pr.branch, base=pr.base))
