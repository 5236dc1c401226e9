"""Scale of the whole platform on one machine: demo jobs through the replay model server.

- jobs per minute with one and with two instances of every agent role (lead, the three
  engineer roles, qa), the same batch of concurrent jobs each time;
- platform overhead per tool call: a job's wall time (ticket published -> pr.opened) minus the
  time its tools ran (the ``executions`` table: sandbox and file tools) and the time the model
  server spent answering, divided by its executed tool calls; jobs run one at a time, alone;
- before anything is timed, each stack waits for the indexer's first pass over the demo
  repository and runs one job untimed;
- bus throughput per service: messages each service handled in the scale-1 run and what its
  handling time allows (messages per second of handler time, from each process's ``handled``
  log lines).

Each configuration is a fresh stack (``devforge up --detach``, see tests/support/fleet.py).
The replay server runs in this process (a thread) so every model request can be timed.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, median
from shared.models.server import BackgroundServer
from tests.support.fleet import Fleet, Follower, fleet

AGENT_ROLES = ("lead", "engineer-backend", "engineer-frontend", "engineer-migration", "qa")
JOBS = 4  # concurrent jobs per scale configuration
SEQUENTIAL = 3  # jobs run alone, one after the other, for the overhead per tool call
ROUNDS = 3  # stacks per scale configuration, alternating between the configurations
BUDGET = 15 * 60.0  # seconds one batch may take before the benchmark gives up
ENV = {"DEVFORGE_QA_GATES": "tests", "DEVFORGE_MODEL_TRANSCRIPT": "demo"}
NOTES = (
    "Two cores run everything: NATS, PostgreSQL, every service and the benchmark itself. "
    "Each round is a fresh stack; the 1- and 2-instance configurations alternate, and the "
    "one-minute load average at the end of each round is recorded beside its figure (a figure "
    "measured while other work shared the machine is not comparable). QA runs only its `tests` "
    "gate. Jobs are the demo ticket (a backend and a migration task, the plan approved at once "
    "by the benchmark like a person would) replayed from `demo/transcripts`, so model time is "
    "the replay server's own time."
)


class ModelClock:
    """The replay server with each request's start and duration recorded."""

    def __init__(self) -> None:
        self.server = BackgroundServer(ROOT / "demo" / "transcripts")
        self.requests: list[tuple[float, float]] = []

        @self.server.app.middleware("http")
        async def _time(request: Any, call_next: Any) -> Any:
            t0 = time.monotonic()
            response = await call_next(request)
            if request.url.path.endswith("/chat/completions"):
                self.requests.append((t0, time.monotonic() - t0))
            return response

    def __enter__(self) -> ModelClock:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def seconds_between(self, start: float, end: float) -> tuple[float, int]:
        inside = [d for t, d in self.requests if start <= t <= end]
        return sum(inside), len(inside)


class Batches:
    """One follower for the whole stack (a second one would replay the stream and approve old
    plans again): records when each job ended and submits batches of jobs."""

    def __init__(self, f: Fleet) -> None:
        self.fleet = f
        self.ends: dict[str, float] = {}
        self.follower = Follower(f, on_event=self._on_event)

    async def _on_event(self, job: str, event: str, _: dict[str, Any]) -> None:
        if event in ("pr.opened", "job.failed", "job.cancelled"):
            self.ends.setdefault(job, time.monotonic())

    async def __aenter__(self) -> Batches:
        await self.follower.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.follower.stop()

    async def run(self, n: int) -> tuple[list[str], float]:
        """Submit ``n`` jobs at once and wait until every one ended; return them and the
        submission time (monotonic)."""
        t0 = time.monotonic()
        jobs = await self.fleet.submit(n)
        while not all(j in self.ends for j in jobs):
            if time.monotonic() - t0 > BUDGET:
                raise RuntimeError(f"jobs did not end within {BUDGET:.0f} s")
            await asyncio.sleep(0.5)
        return jobs, t0

    def outcome(self, job: str) -> str | None:
        return self.follower.ended.get(job)


def _handled(logs: Path) -> dict[str, dict[str, float]]:
    """Per program: messages handled and handler milliseconds, from its processes' JSON logs."""
    per: dict[str, list[float]] = {}
    for log in sorted(logs.glob("*-[0-9]*.log")):
        program = log.stem.rsplit("-", 1)[0]
        for line in log.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("event") == "handled" and isinstance(rec.get("ms"), int | float):
                per.setdefault(program, []).append(float(rec["ms"]))
    out = {}
    for program, ms in sorted(per.items()):
        busy = sum(ms) / 1000
        out[program] = {
            "handled": len(ms),
            "median_ms": round(statistics.median(ms), 2),
            "max_msgs_per_s_of_handler_time": round(len(ms) / busy, 2) if busy else 0.0,
        }
    return out


async def _settled(f: Fleet, batches: Batches) -> None:
    """Before anything is timed: the indexer has embedded the demo repository (half a minute of
    both cores on a fresh stack) and one job has run (first imports, the prepared environment)."""
    t0 = time.monotonic()
    while not await f.pool.fetchval(
        "SELECT 1 FROM code_index_state WHERE tenant_id = $1 AND repo_id = $2", f.tenant, f.repo
    ):
        if time.monotonic() - t0 > BUDGET:
            raise RuntimeError("the indexer did not index the demo repository")
        await asyncio.sleep(0.5)
    await batches.run(1)


async def _throughput(instances: int) -> dict[str, Any]:
    scale = dict.fromkeys(AGENT_ROLES, instances)
    with ModelClock() as clock:
        env = {**ENV, "DEVFORGE_MODEL_BASE_URL": clock.server.url}
        async with fleet(env, scale) as f, Batches(f) as batches:
            await _settled(f, batches)
            jobs, t0 = await batches.run(JOBS)
            ends = batches.ends
            elapsed = max(ends[j] for j in jobs) - t0
            result: dict[str, Any] = {
                "instances_per_agent_role": instances,
                "jobs": len(jobs),
                "prs_opened": sum(1 for j in jobs if batches.outcome(j) == "pr.opened"),
                "batch_s": round(elapsed, 1),
                "jobs_per_minute": round(len(jobs) / elapsed * 60, 2),
                "median_job_s": round(median([ends[j] - t0 for j in jobs]), 1),
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
            if instances == 1:
                result["bus_per_service"] = _handled(f.home / "logs")
    return result


async def _overhead() -> dict[str, Any]:
    per_step: list[float] = []
    rows: list[dict[str, Any]] = []
    with ModelClock() as clock:
        env = {**ENV, "DEVFORGE_MODEL_BASE_URL": clock.server.url}
        async with fleet(env) as f, Batches(f) as batches:
            await _settled(f, batches)
            for _ in range(SEQUENTIAL):
                (job,), t0 = await batches.run(1)
                end = batches.ends[job]
                wall = end - t0
                tools = await f.pool.fetchrow(
                    "SELECT count(*) AS n, coalesce(sum(extract(epoch FROM finished_at - "
                    "started_at)), 0)::float8 AS s FROM executions WHERE tenant_id = $1 AND "
                    "job_id = $2 AND finished_at IS NOT NULL",
                    f.tenant,
                    job,
                )
                model_s, model_calls = clock.seconds_between(t0, end)
                steps = int(tools["n"])
                overhead = wall - float(tools["s"]) - model_s
                per_step.append(overhead / steps * 1000 if steps else float("nan"))
                rows.append(
                    {
                        "outcome": batches.outcome(job),
                        "wall_s": round(wall, 2),
                        "tool_s": round(float(tools["s"]), 2),
                        "model_s": round(model_s, 3),
                        "model_calls": model_calls,
                        "tool_calls": steps,
                        "overhead_s": round(overhead, 2),
                    }
                )
    return {
        "jobs": SEQUENTIAL,
        "per_job": rows,
        "median_overhead_per_tool_call_ms": round(median(per_step), 1),
        "median_share_of_wall": round(
            median([r["overhead_s"] / r["wall_s"] for r in rows if r["wall_s"]]), 3
        ),
    }


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one configuration: medians, and each round's figure to show the spread."""
    rates = [r["jobs_per_minute"] for r in rounds]
    return {
        "instances_per_agent_role": rounds[0]["instances_per_agent_role"],
        "rounds": len(rounds),
        "jobs_per_round": rounds[0]["jobs"],
        "prs_opened": sum(r["prs_opened"] for r in rounds),
        "jobs_per_minute": round(median(rates), 2),
        "jobs_per_minute_each_round": rates,
        "median_job_s": round(median([r["median_job_s"] for r in rounds]), 1),
        "load_average_each_round": [r["load_average_1min"] for r in rounds],
    }


async def _main() -> dict[str, Any]:
    # The configurations alternate (1, 2, 1, 2, ...) so that a slow spell of the machine falls
    # on both rather than on one.
    ones: list[dict[str, Any]] = []
    twos: list[dict[str, Any]] = []
    for _ in range(ROUNDS):
        ones.append(await _throughput(1))
        twos.append(await _throughput(2))
    bus = ones[0].pop("bus_per_service")
    one, two = _summary(ones), _summary(twos)
    return {
        "notes": NOTES,
        "jobs_per_minute": {
            "one_instance_per_role": one,
            "two_instances_per_role": two,
            "ratio_two_vs_one": round(two["jobs_per_minute"] / one["jobs_per_minute"], 2),
        },
        "overhead_per_tool_call": await _overhead(),
        "bus_per_service": bus,
    }


def run() -> dict[str, Any]:
    return asyncio.run(_main())


def run_part(part: str) -> dict[str, Any]:
    """One part alone (``python -m bench.scale overhead``), for a quick look."""
    parts = {"one": lambda: _throughput(1), "two": lambda: _throughput(2), "overhead": _overhead}
    return asyncio.run(parts[part]())


if __name__ == "__main__":
    import sys

    print(json.dumps(run_part(sys.argv[1] if len(sys.argv) > 1 else "overhead"), indent=2))
