"""The conductor: hands out the plan's tasks one at a time, then ``work.done``; a fix task on
``qa.failed`` (bounded rounds). Decisions are ``shared.crew.conduct``'s; this is the I/O."""

from __future__ import annotations

import asyncio

from shared import workspace
from shared.crew import conduct, jobwork
from shared.messages import PlanApproved, QaFailed, TaskDone, TaskReady, WorkDone
from shared.service import Context


async def _branch_head(work: jobwork.JobWork) -> str:
    """The job branch's head, or the base's when no task changed anything."""
    for ref in (work.branch, work.repo.default_branch):
        sha = await asyncio.to_thread(
            workspace.git,
            work.remote,
            "rev-parse",
            "--verify",
            "--quiet",
            f"refs/heads/{ref}",
            check=False,
        )
        if sha:
            return sha
    raise jobwork.JobStateMissing(f"no branch {work.branch} nor {work.repo.default_branch}")


async def _hand_out(ctx: Context, work: jobwork.JobWork, nxt: conduct.Next) -> None:
    if nxt.task is not None:
        await ctx.publish(TaskReady(task=nxt.task, round=nxt.round))
        return
    commit = await _branch_head(work)
    await ctx.publish(WorkDone(branch=work.branch, commit=commit, round=nxt.round))


async def on_plan_approved(ctx: Context, msg: PlanApproved) -> None:
    work = await jobwork.load(ctx, checkout=False)
    await _hand_out(ctx, work, conduct.after_plan(work.plan()))


async def on_task_done(ctx: Context, msg: TaskDone) -> None:
    work = await jobwork.load(ctx, checkout=False)
    await _hand_out(ctx, work, conduct.after_task(work.plan(), msg.task_id, msg.round))


async def on_qa_failed(ctx: Context, msg: QaFailed) -> None:
    work = await jobwork.load(ctx, checkout=False)
    fix = conduct.fix_task(work.plan(), msg.round, msg.findings, msg.gates)
    if fix is None:
        found = "; ".join(msg.findings[:5])
        await ctx.fail_job(f"QA still failing after {msg.round} round(s): {found}")
        return
    await ctx.publish(TaskReady(task=fix, round=msg.round + 1))
