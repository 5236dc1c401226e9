"""Open the PR once per job: a redelivered ``qa.passed`` finds the PR already open. The forge
is the repository's (GitHub for a repository connected through the App, else the local
forge). A push the forge refuses by rule fails the job with the forge's reason, at once."""

from __future__ import annotations

import asyncio

from shared import workspace
from shared.crew import jobwork
from shared.forge import body, select
from shared.forge.base import PrRequest, PushRejected
from shared.messages import PrOpened, QaPassed
from shared.service import Context


async def on_qa_passed(ctx: Context, msg: QaPassed) -> None:
    work = await jobwork.load(ctx, checkout=False)
    base = work.repo.default_branch
    changed = await asyncio.to_thread(
        workspace.git,
        work.remote,
        "rev-parse",
        "--verify",
        "--quiet",
        f"refs/heads/{work.branch}",
        check=False,
    )
    if not changed and not work.follow_up_of:
        await ctx.fail_job("the crew changed nothing: there is no pull request to open")
        return
    diffstat = await asyncio.to_thread(
        workspace.git, work.remote, "diff", "--stat", f"refs/heads/{base}", msg.commit
    )
    parent = work.follow_up_of
    forge = await select.forge_for(ctx.service.settings, ctx.pool, ctx.tenant, work.repo.id)
    try:
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
                pr_branch=workspace.branch_of(parent) if parent else None,
            )
        )
    except PushRejected as exc:
        ctx.log.warning("push_rejected", reason=str(exc))
        await ctx.fail_job(f"the forge rejected the push: {exc}")
        return
    if parent:  # the next follow-up on this PR starts from everything it holds so far
        await asyncio.to_thread(
            workspace.git,
            work.remote,
            "update-ref",
            f"refs/heads/{workspace.branch_of(parent)}",
            msg.commit,
        )
    ctx.log.info("pr", number=pr.number, created=pr.created)
    await ctx.publish(PrOpened(url=pr.url, number=pr.number, branch=pr.branch, base=pr.base))
