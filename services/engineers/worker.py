"""One engineer role at work: run the agent on the task in the job's worktree, commit, push
the job branch to the workspace remote, report ``task.done``."""

from __future__ import annotations

import asyncio
import re

from shared import workspace
from shared.crew import jobwork, prompts, repomap
from shared.crew.agent import AgentFailed, run_agent
from shared.messages import TaskDone, TaskReady, TaskStarted
from shared.service import Context


async def on_task_ready(ctx: Context, msg: TaskReady) -> None:
    task = msg.task
    if task.kind == "qa":
        await ctx.fail_job("a task of kind qa reached an engineer (QA folds those into its gates)")
        return
    role = task.kind
    await ctx.publish(TaskStarted(task_id=task.id, role=role, round=msg.round))
    work = await jobwork.load(ctx)
    ticket = work.ticket
    words = " ".join(
        [str(ticket.get("title", "")), str(ticket.get("body", "")), task.title, task.description]
    )
    repo_map = await asyncio.to_thread(
        repomap.repo_map,
        work.workdir,
        focus_files=task.files,
        terms=re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", words),
        budget_tokens=ctx.service.settings.agent_map_tokens,
    )
    try:
        summary = await run_agent(
            ctx,
            work,
            role=role,
            run_key=f"{role}-{task.id}-r{msg.round}",
            instructions=prompts.engineer(role),
            input_text=prompts.task_text(
                work.ticket,
                task.model_dump(),
                work.plan().model_dump(),
                [e.body for e in work.entries if e.event == "task.done"],
                repo_map,
            ),
            task_id=task.id,
            round=msg.round,
            search_first=f"{task.title}\n{task.description}",
        )
    except AgentFailed as exc:  # bad model output or no model: the job fails, nothing retries
        await ctx.fail_job(str(exc))
        return

    commit = await asyncio.to_thread(
        workspace.commit_and_push, work.workdir, work.job_id, f"{role}: {task.title}"
    )
    commit = commit or await asyncio.to_thread(workspace.head, work.workdir)
    await ctx.publish(
        TaskDone(
            task_id=task.id, role=role, round=msg.round, commit=commit, summary=str(summary)[:2000]
        )
    )
