"""The run of one task through the whole platform, and its judging.

A tenant of its own for the task; the repository registered with ``base_commit`` as its only
branch (``shared.evaluation.sources``); the problem statement submitted as the ticket; approvals
granted the way a person would (a token minted by the guard for the approver
``devforge-eval``, published on ``approval.granted``); the job followed to its end from its
events; then the PR judged with the hidden tests (``shared.evaluation.judge``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import shutil
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.aio.msg import Msg

from shared import jobs, registry
from shared import subjects as s
from shared.cli.context import Conn
from shared.evaluation import judge, oracle, report, sources
from shared.evaluation.tasks import Task, TaskError, ticket_of
from shared.forge.local import LocalForge
from shared.ids import new_job_id
from shared.messages import ApprovalGranted, TicketSubmitted
from shared.natsauth import subscribe_ordered
from shared.prepare import PrepareConfig, environment_for
from shared.workspace import GitError

APPROVER = "devforge-eval"
ENDS = ("pr.opened", "job.failed", "job.cancelled", "ticket.rejected", "plan.denied")


@dataclass
class Run:
    """What every task of one evaluation run shares."""

    conn: Conn
    mode: str  # oracle | live
    workdir: Path  # the run's own scratch directory (outside every service's sight)
    repos_dir: Path | None
    task_timeout: float
    run_id: str
    model_url: str | None = None  # the embedded model server (oracle mode registers tasks)
    progress: Callable[[str, str], None] = lambda _iid, _text: None


@dataclass
class Trace:
    """A job as its events told it."""

    end: str = "timeout"
    body: dict[str, Any] = field(default_factory=dict)
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_sources: set[str] = field(default_factory=set)
    tools: Counter[str] = field(default_factory=Counter)
    approvals: int = 0
    summaries: list[str] = field(default_factory=list)
    qa_findings: list[str] = field(default_factory=list)


def tenant_for(run_id: str, instance_id: str) -> str:
    digest = hashlib.sha256(instance_id.encode()).hexdigest()[:8]
    stem = re.sub(r"[^a-z0-9]+", "-", instance_id.lower()).strip("-")[:30].strip("-")
    return f"eval-{run_id}-{stem}-{digest}"


def repo_name(task: Task) -> str:
    return re.sub(r"[^a-z0-9]+", "-", task.repo.split("/")[1].lower()).strip("-")[:63] or "repo"


def register_with_oracle(model_url: str, task: Task) -> None:
    """Give the embedded model server's oracle the task's ticket and gold patch (no tests)."""
    title, body = ticket_of(task.problem_statement)
    payload = {
        "tasks": [
            {
                "instance_id": task.instance_id,
                "title": title,
                "body": body,
                "patch": task.patch,
                "test_patch": task.test_patch,
            }
        ]
    }
    req = urllib.request.Request(
        f"{model_url.rstrip('/')}/devforge/oracle",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
    except urllib.error.URLError as exc:
        raise RuntimeError(f"the model server's oracle did not take the task: {exc}") from None


async def _approve(run: Run, tenant: str, job: str, request_id: str) -> None:
    reply = await run.conn.bus.mint(
        tenant, request_id, approver=APPROVER, minted_by="operator", break_glass=True
    )
    if reply.error or not reply.token:
        raise RuntimeError(f"the guard minted no token for {request_id}: {reply.error}")
    await run.conn.bus.publish_job(
        tenant, job, ApprovalGranted(request_id=request_id, token=reply.token)
    )


async def follow(run: Run, tenant: str, job: str, iid: str) -> Trace:
    """Follow the job's events until it ends or the task's time is up."""
    trace = Trace()
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    prefix = len(s.job_events(tenant, job)) - 1

    async def on_msg(msg: Msg) -> None:
        await queue.put((msg.subject[prefix:], json.loads(msg.data)))

    sub = await subscribe_ordered(
        run.conn.bus.js, s.job_events(tenant, job), stream=s.JOBS_STREAM, cb=on_msg
    )
    deadline = time.monotonic() + run.task_timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                trace.body = {"reason": "timeout"}
                return trace
            try:
                event, body = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                continue
            _record(trace, event, body)
            if event in ("plan.awaiting_approval", "step.awaiting_approval"):
                await _approve(run, tenant, job, body["request_id"])
                trace.approvals += 1
                run.progress(iid, f"approved {event.split('.')[0]}")
            elif event.startswith("task.started"):
                run.progress(iid, f"{body.get('role')} engineer on {body.get('task_id')}")
            elif event in ("work.done", "qa.passed", "qa.failed"):
                run.progress(iid, event)
            if event in ENDS:
                trace.end, trace.body = event, body
                return trace
    finally:
        await sub.unsubscribe()


def _record(trace: Trace, event: str, body: dict[str, Any]) -> None:
    if event == "model.turn":
        trace.turns += 1
    elif event == "cost.updated":
        trace.input_tokens += int(body.get("input_tokens", 0))
        trace.output_tokens += int(body.get("output_tokens", 0))
        trace.cost_usd += float(body.get("cost_usd", 0.0))
        trace.cost_sources.add(str(body.get("source")))
    elif event == "step.proposed":
        trace.tools[str(body.get("tool"))] += 1
    elif event == "task.done":
        trace.summaries.append(str(body.get("summary", "")))
    elif event == "qa.failed":
        trace.qa_findings = [str(f) for f in body.get("findings", [])]


def prepare_source(run: Run, task: Task) -> Path:
    """The task's repository snapshot, after checking its patches apply (``TaskError`` if not)."""
    clone = sources.locate(task, run.repos_dir, run.workdir / "clones")
    snap = run.workdir / "sources" / f"{task.instance_id}.git"
    if snap.exists():
        shutil.rmtree(snap)
    snap.parent.mkdir(parents=True, exist_ok=True)
    sources.snapshot(clone, task.base_commit, snap)
    sources.check_applies(snap, task.base_commit, task.test_patch, "test_patch")
    if run.mode == "oracle":
        sources.check_applies(snap, task.base_commit, task.patch, "the gold patch")
    return snap


async def run_task(run: Run, task: Task) -> dict[str, Any]:
    """One task from its repository to its verdict: the row ``--out`` gets."""
    started = time.monotonic()
    row: dict[str, Any] = {"instance_id": task.instance_id, "repo": task.repo, "resolved": False}
    try:
        snap = await asyncio.to_thread(prepare_source, run, task)
    except (TaskError, GitError) as exc:
        return {**row, "error": str(exc), "wall_s": round(time.monotonic() - started, 1)}
    c = run.conn
    tenant, name, job = tenant_for(run.run_id, task.instance_id), repo_name(task), new_job_id()
    row.update(tenant=tenant, job_id=job)
    await registry.add_tenant(c.pool, c.bus, tenant, f"eval {task.instance_id}")
    await registry.add_repo(c.pool, c.bus, tenant, name, f"file://{snap}", sources.BRANCH)
    if run.mode == "oracle":
        assert run.model_url is not None
        await asyncio.to_thread(register_with_oracle, run.model_url, task)
    title, body = ticket_of(task.problem_statement)
    run.progress(task.instance_id, "submitted")
    await c.bus.publish_job(
        tenant, job, TicketSubmitted(repo=name, title=title, body=body, submitted_by=APPROVER)
    )
    trace = await follow(run, tenant, job, task.instance_id)
    if trace.end == "timeout":
        with contextlib.suppress(jobs.JobConflict):
            await jobs.cancel(c.pool, c.bus, tenant, job, by=APPROVER, reason="task timeout")
    row.update(_trace_fields(trace))
    if trace.end != "pr.opened":
        reason = "timeout" if trace.end == "timeout" else _reason(trace)
        row.update(failure_reason=reason, failure_class=_class(trace, reason, None, None))
        row["wall_s"] = round(time.monotonic() - started, 1)
        return row
    run.progress(task.instance_id, "judging")
    verdict, pr_diff, head = await _judge(run, task, tenant, name, job)
    gold = report.same_change(pr_diff, task.patch, task.test_patch)
    row.update(
        resolved=verdict.resolved,
        pr={**{k: trace.body.get(k) for k in ("number", "url", "branch")}, "head": head},
        model_patch=pr_diff,
        empty_patch=not pr_diff.strip(),
        matches_gold=gold,
        hidden_tests_failed=verdict.failed,
        hidden_tests=verdict.statuses,
    )
    if not verdict.resolved:
        reason = verdict.reason or "unresolved"
        row.update(
            failure_reason=reason, failure_class=_class(trace, reason, verdict.failure_class, gold)
        )
    row["wall_s"] = round(time.monotonic() - started, 1)
    return row


def _trace_fields(trace: Trace) -> dict[str, Any]:
    return {
        "end_event": trace.end,
        "model_turns": trace.turns,
        "tokens": {"input": trace.input_tokens, "output": trace.output_tokens},
        "cost_usd": round(trace.cost_usd, 6),
        "cost_sources": sorted(trace.cost_sources),
        "tool_calls": dict(sorted(trace.tools.items())),
        "approvals": trace.approvals,
        "oracle_notes": [f"{c}: {w}" for t in trace.summaries for c, w in oracle.notes_in(t)],
    }


def _reason(trace: Trace) -> str:
    body = trace.body
    reasons = body.get("reasons")
    text = body.get("reason") or ("; ".join(reasons) if isinstance(reasons, list) else "")
    return f"{trace.end}: {text}".strip().rstrip(":")


def _class(trace: Trace, reason: str, judged: str | None, gold: bool | None) -> str:
    notes = [n for t in trace.summaries for n in oracle.notes_in(t)]
    return report.classify(
        end_event=trace.end,
        reason=str(trace.body.get("reason", reason)),
        service=trace.body.get("service"),
        oracle_notes=notes,
        qa_findings=trace.qa_findings,
        judged_class=judged,
        gold_match=gold,
    )


async def _judge(
    run: Run, task: Task, tenant: str, name: str, job: str
) -> tuple[judge.Verdict, str, str]:
    """(the verdict, the PR's diff, its head commit)."""
    c = run.conn
    forge = LocalForge(c.settings.home, c.pool)
    head = await c.pool.fetchval("SELECT head FROM pull_requests WHERE job_id = $1", job)
    diff = await forge.diff(tenant, name, job, sources.BRANCH, stat=False)
    scratch = run.workdir / "judge" / task.instance_id
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    config = PrepareConfig(envs_dir=c.settings.home.resolve() / "envs", repo=name)
    verdict = await judge.judge(
        task,
        forge.repo_path(tenant, name),
        str(head),
        scratch,
        environment=lambda tree: environment_for(config, tenant, tree),
        timeout=max(60.0, run.task_timeout),
    )
    return verdict, diff, str(head)
