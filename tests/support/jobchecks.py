"""What every job of a fault test must show at the end: a log that follows the state machine
with no hole, no call executed twice (the executions table against the logs), and a read model
that matches the logs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import asyncpg

from shared import jobstate
from shared.bus import history
from shared.crew.steps import IDEMPOTENT


def sequence_problems(entries: list[history.Entry]) -> list[str]:
    """Where a job's log breaks the state machine or has a hole: an unanswered or twice-answered
    step, a step or model turn number skipped or repeated, a result without its decision."""
    problems: list[str] = []
    try:
        end = jobstate.replay(e.event for e in entries)
        if end is not jobstate.Status.COMPLETED:
            problems.append(f"ended {end.value}")
    except jobstate.IllegalTransition as exc:
        problems.append(str(exc))
    per: dict[str, dict[str, int]] = {}
    for e in entries:
        if e.event.startswith("step."):
            kinds = per.setdefault(e.body["step_id"], {})
            kinds[e.event] = kinds.get(e.event, 0) + 1
    calls: dict[str, int] = {}  # a call run again under ``<step>-again<n>`` is one call
    for step, kinds in per.items():
        decided = kinds.get("step.approved", 0) + kinds.get("step.denied", 0)
        if kinds.get("step.proposed") != 1 or decided != 1 or kinds.get("step.result", 0) > 1:
            problems.append(f"step {step}: {kinds}")
        call = step.split("-again", 1)[0]
        calls[call] = calls.get(call, 0) + kinds.get("step.result", 0)
    problems += [f"call {c}: {n} results" for c, n in calls.items() if n != 1]
    runs: dict[str, list[int]] = {}
    for step in per:
        key, _, n = step.rpartition("-")
        if n.isdigit():
            runs.setdefault(key, []).append(int(n))
    for e in entries:
        if e.event == "model.turn":
            runs.setdefault(f"turns of {e.body['agent']}", []).append(int(e.body["turn"]))
    for key, numbers in runs.items():
        lo = min(numbers)
        if sorted(numbers) != list(range(lo, lo + len(numbers))):
            problems.append(f"{key}: numbers {sorted(numbers)} have a hole or a repeat")
    return problems


async def execution_problems(
    pool: asyncpg.Pool[Any], tenant: str, logs: Mapping[str, list[history.Entry]]
) -> list[str]:
    """What the executions table says against the jobs' logs: a step executed without the
    guard's approval, or one call executed twice. (A call run again under ``<step>-again<n>``
    is allowed only for an idempotent tool whose earlier executions left no result.)"""
    rows = await pool.fetch(
        "SELECT job_id, step_id, tool FROM executions WHERE tenant_id = $1 "
        "AND job_id = ANY($2::text[]) ORDER BY started_at",
        tenant,
        list(logs),
    )
    problems = []
    calls: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in rows:
        calls.setdefault((r["job_id"], r["step_id"].split("-again", 1)[0]), []).append(
            (r["step_id"], r["tool"])
        )
    for (job, call), runs in calls.items():
        entries = logs[job]
        approved = {e.body["step_id"] for e in entries if e.event == "step.approved"}
        results = {e.body["step_id"] for e in entries if e.event == "step.result"}
        problems += [
            f"{job}/{step}: executed unapproved" for step, _ in runs if step not in approved
        ]
        if len(runs) > 1:
            left_result = [step for step, _ in runs[:-1] if step in results]
            others = [tool for _, tool in runs if tool not in IDEMPOTENT]
            if left_result or others:
                problems.append(f"{job}/{call}: executed {len(runs)} times: {runs}")
    return problems


async def reruns(pool: asyncpg.Pool[Any], tenant: str) -> int:
    """Idempotent calls of unknown outcome that ran again under a step id of their own."""
    n: int = await pool.fetchval(
        "SELECT count(*) FROM executions WHERE tenant_id = $1 AND step_id LIKE '%-again%'", tenant
    )
    return n


async def projection_problems(
    pool: asyncpg.Pool[Any], logs: Mapping[str, list[history.Entry]], wait: float = 30
) -> list[str]:
    """Where the read model differs from the logs: an event missing or not applied, a job not
    completed (after the projector had ``wait`` seconds to catch up)."""
    deadline = time.monotonic() + wait
    while (problems := await _projection(pool, logs)) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    return problems


async def _projection(
    pool: asyncpg.Pool[Any], logs: Mapping[str, list[history.Entry]]
) -> list[str]:
    problems = []
    for job, entries in logs.items():
        rows = await pool.fetch(
            "SELECT stream_seq, applied FROM job_events WHERE job_id = $1 ORDER BY stream_seq", job
        )
        if [r["stream_seq"] for r in rows] != [e.seq for e in entries]:
            problems.append(f"{job}: projected {len(rows)} of {len(entries)} events")
        problems += [
            f"{job}: event {r['stream_seq']} not applied" for r in rows if not r["applied"]
        ]
        status = await pool.fetchval("SELECT status FROM jobs WHERE id = $1", job)
        if status != "completed":
            problems.append(f"{job}: {status}")
    return problems
