"""Many jobs on a real stack started by ``devforge up --detach``: the demo repository, tickets,
a follower of the jobs stream that approves held plans, and the checks every job must pass."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from nats.aio.msg import Msg

from shared import jobstate, registry
from shared import subjects as s
from shared.bus import history
from shared.bus.client import Bus
from shared.crew.steps import IDEMPOTENT
from shared.db.pool import create_pool
from shared.embedded import servers
from shared.embedded.stack import pid_alive
from shared.ids import new_job_id
from shared.messages import ApprovalGranted, TicketSubmitted
from shared.natsauth import subscribe_ordered
from tests.support.approve import operator_token
from tests.support.crew import demo_repo

ENDS = ("pr.opened", "job.failed", "job.cancelled", "ticket.rejected", "plan.denied")
OnEvent = Callable[[str, str, dict[str, Any]], Awaitable[None]]


def devforge(
    home: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVFORGE_")}
    clean.update(env or {})
    clean["DEVFORGE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Fleet:
    home: Path
    info: dict[str, Any]
    bus: Bus
    pool: asyncpg.Pool[Any]
    tenant: str = "fleet"
    repo: str = "shop"

    async def submit(self, n: int) -> list[str]:
        jobs = [new_job_id() for _ in range(n)]
        ticket = json.loads((Path(__file__).parents[2] / "demo" / "ticket.json").read_text())
        for job in jobs:
            msg = TicketSubmitted(
                repo=self.repo, title=ticket["title"], body=ticket["body"], submitted_by="ann"
            )
            await self.bus.publish_job(self.tenant, job, msg)
        return jobs


@asynccontextmanager
async def fleet(
    env: Mapping[str, str], scale: Mapping[str, int] | None = None
) -> AsyncIterator[Fleet]:
    """A stack of its own (outside pytest's 0700 tree, see conftest) with the demo repository
    registered; always brought down."""
    home = Path(tempfile.mkdtemp(prefix="dft-fleet-"))
    args = [a for name, n in (scale or {}).items() for a in ("--scale", f"{name}={n}")]
    try:
        res = devforge(home, "up", "--detach", *args, env=env)
        assert res.returncode == 0, res.stderr + res.stdout
        info = json.loads((home / "stack.json").read_text())
        bus = await Bus.connect(info["nats_url"], name="fleet-test")
        pool = await create_pool(info["database_url"], max_size=2)
        try:
            f = Fleet(home, info, bus, pool)
            await registry.add_tenant(pool, bus, f.tenant)
            src = demo_repo(home / "src" / f.repo)
            await registry.add_repo(pool, bus, f.tenant, f.repo, f"file://{src}", "main")
            yield f
        finally:
            await pool.close()
            await bus.close()
    finally:
        devforge(home, "down")
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class Follower:
    """Follows every job of the tenant on the stream; approves held plans like a person would;
    calls ``on_event`` for each event."""

    fleet: Fleet
    on_event: OnEvent | None = None
    events: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    ended: dict[str, str] = field(default_factory=dict)
    _sub: Any = None

    async def start(self) -> None:
        f = self.fleet
        prefix = len(f"{s.PREFIX}.{f.tenant}.job.")

        async def on_msg(msg: Msg) -> None:
            job, _, event = msg.subject[prefix:].partition(".")
            body = json.loads(msg.data)
            self.events.setdefault(job, []).append((msg.metadata.sequence.stream, event))
            if event == "plan.awaiting_approval":
                await self._approve(job, body["request_id"])
            if event in ENDS:
                self.ended.setdefault(job, event)
            if self.on_event is not None:
                await self.on_event(job, event, body)

        subject = f"{s.PREFIX}.{f.tenant}.job.>"
        self._sub = await subscribe_ordered(f.bus.js, subject, stream=s.JOBS_STREAM, cb=on_msg)

    async def _approve(self, job: str, request_id: str) -> None:
        """Mint and publish the approval; again while the bus is away (a restart)."""
        f = self.fleet
        for _ in range(60):
            try:
                token = await operator_token(f.bus, f.tenant, request_id)
                grant = ApprovalGranted(request_id=request_id, token=token)
                await f.bus.publish_job(f.tenant, job, grant)
                return
            except Exception:
                await asyncio.sleep(1)
        raise AssertionError(f"could not approve the plan of {job}")

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()


# ---- restarting the embedded servers under a running stack ---------------------------------


def restart_nats(f: Fleet) -> servers.NatsProcess:
    """Stop the stack's nats-server and start it again on the same port, configuration and
    store. The caller stops the new one (the stack's ``down`` knows only the first)."""
    pid = int(f.info["nats_pid"])
    os.kill(pid, signal.SIGTERM)
    for _ in range(200):
        if not pid_alive(pid):
            break
        time.sleep(0.05)
    conf = Path(f.info["nats_config"])
    text = conf.read_text()
    assert "port: -1" in text, "the stack's nats.conf changed shape"
    text = text.replace("port: -1", f"port: {f.info['nats_port']}", 1)
    proc = servers.start_nats(conf.parent, text, f.home / "logs" / "nats.log")
    f.info["nats_pid"] = proc.proc.pid
    return proc


def restart_postgres(f: Fleet) -> None:
    """Stop the stack's PostgreSQL (fast shutdown: every connection is cut) and start it."""
    servers.stop_postgres(f.home / "pg")
    servers.start_postgres(f.home / "pg")


# ---- what every job must show at the end -----------------------------------------------------


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
