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

from shared import registry
from shared import subjects as s
from shared.bus.client import Bus
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
