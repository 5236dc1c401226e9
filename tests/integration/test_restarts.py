"""Restarting the NATS server and PostgreSQL under a running stack with jobs in flight loses no
job: every one still ends with a PR and a log that follows the state machine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from shared import subjects as s
from shared.bus import history
from tests.support.fleet import Follower, fleet, restart_nats, restart_postgres
from tests.support.jobchecks import (
    execution_problems,
    projection_problems,
    sequence_problems,
)

pytestmark = pytest.mark.faults

JOBS = 6
ENV = {"DEVFORGE_QA_GATES": "tests", "DEVFORGE_ACK_WAIT": "10"}


async def _until(what: str, cond: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.2)


def _what_went_wrong(logs: Path, jobs: list[str]) -> str:
    """The services' warnings and errors about the failed jobs, for the assertion message."""
    lines = []
    for log in sorted(logs.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if any(j in line for j in jobs) and ('"warning"' in line or '"error"' in line):
                lines.append(f"{log.name}: {line[:1500]}")
    return "\n".join(lines[-40:]) or "no warning or error was logged about them"


async def test_restarting_nats_and_postgres_mid_run_loses_no_job() -> None:
    nats = None
    try:
        async with fleet(ENV) as f:
            follower = Follower(f)
            await follower.start()
            jobs = await f.submit(JOBS)

            def working(n: int) -> Callable[[], bool]:
                def enough() -> bool:
                    busy = [
                        j
                        for j in jobs
                        if any(e == "step.proposed" for _, e in follower.events.get(j, []))
                    ]
                    return len(busy) >= n

                return enough

            await _until("two jobs with tool calls in flight", working(2))
            seen = sum(len(v) for v in follower.events.values())
            nats = restart_nats(f)
            await _until(
                "events again after the NATS restart",
                lambda: sum(len(v) for v in follower.events.values()) > seen + 5,
            )
            assert len(follower.ended) < JOBS  # jobs still in flight for the database restart
            restart_postgres(f)
            await _until("every job ended", lambda: len(follower.ended) == JOBS, timeout=600)
            await follower.stop()

            logs = {job: await history.read(f.bus.js, f.tenant, job) for job in jobs}
            failed = [j for j, es in logs.items() if any(e.event == "job.failed" for e in es)]
            assert {j: follower.ended.get(j) for j in jobs} == dict.fromkeys(jobs, "pr.opened"), (
                _what_went_wrong(f.home / "logs", failed)
            )
            assert {j: sequence_problems(e) for j, e in logs.items()} == {j: [] for j in jobs}
            assert await execution_problems(f.pool, f.tenant, logs) == []
            assert await projection_problems(f.pool, logs) == []
            dead = await f.bus.js.stream_info(s.DLQ_STREAM)
            assert dead.state.messages == 0
    finally:
        if nats is not None:
            nats.stop()
