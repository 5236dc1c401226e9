"""The killer of the fault test: it follows the jobs stream and SIGKILLs the service process
that is handling a message at that moment, then waits for supervisord to restart it.

- ``step.proposed`` not yet decided: the guard holds it, and the proposing agent (lead,
  engineer, QA) is in flight waiting for the decision; ``step.approved`` of a QA step: QA is
  running its test gate (killed a moment in, while the step still has no result);
- ``model.turn``: the agent of that run is mid-run;
- ``qa.passed`` before ``pr.opened``: the publisher is opening the PR.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.embedded.stack import pid_alive

AGENT_PROGRAM = {
    "lead": "lead",
    "backend": "engineer-backend",
    "frontend": "engineer-frontend",
    "migration": "engineer-migration",
    "qa": "qa",
}


@dataclass(frozen=True)
class Kill:
    program: str
    pid: int
    job: str
    event: str
    at: float


def live_pids(home: Path, program: str) -> list[int]:
    """The ready processes of a supervisord program (their ready files name their pids)."""
    pids = []
    for f in (home / "run" / "ready").glob(f"{program}.*"):
        name, _, pid = f.name.rpartition(".")
        if name == program and pid.isdigit() and pid_alive(int(pid)):
            pids.append(int(pid))
    return pids


@dataclass
class Killer:
    home: Path
    per_program: dict[str, int]  # kills wanted for each program
    limit: int = 40
    spacing: float = 5.0  # seconds between two kills of the same program
    # The i-th kill of a program waits for the depth[i % len]-th event of a job it works on:
    # early and late in a run, so that takeovers replay recorded turns and results, and meet
    # tools that were running (QA's 2nd event is its test run approved and executing).
    depth: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {"qa": (2, 1, 2), "guard": (1,), "publisher": (1,)}
    )
    default_depth: tuple[int, ...] = (2, 4, 3)
    into_tool: float = 0.3  # seconds after a step's approval that its agent is killed
    kills: list[Kill] = field(default_factory=list)
    restarts: list[float] = field(default_factory=list)  # seconds until each one was back
    _down: set[str] = field(default_factory=set)
    _last: dict[str, float] = field(default_factory=dict)
    _hit: set[tuple[str, str]] = field(default_factory=set)
    _seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    _results: set[str] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def count(self) -> Counter[str]:
        return Counter(k.program for k in self.kills)

    def done(self) -> bool:
        have = self.count()
        return all(have[p] >= n for p, n in self.per_program.items())

    def _wanted(self, program: str, job: str) -> bool:
        depth = self.depth.get(program, self.default_depth)
        nth = depth[self.count()[program] % len(depth)]
        return (
            self._seen[(program, job)] >= nth
            and len(self.kills) < self.limit
            and self.count()[program] < self.per_program.get(program, 0)
            and program not in self._down
            and (program, job) not in self._hit  # one message is never killed twice
            and time.monotonic() - self._last.get(program, 0.0) >= self.spacing
        )

    async def on_event(self, job: str, event: str, body: dict[str, Any]) -> None:
        candidates: list[str] = []
        if event == "step.proposed":
            candidates = ["guard", AGENT_PROGRAM.get(str(body.get("agent")), "")]
        elif event == "step.approved" and str(body.get("step_id")).startswith("qa-"):
            candidates = ["qa"]  # QA is running its test gate now (seconds long)
        elif event == "model.turn":
            candidates = [AGENT_PROGRAM.get(str(body.get("agent")).split("-", 1)[0], "")]
        elif event == "qa.passed":
            candidates = ["publisher"]
        elif event == "step.result":
            self._results.add(str(body.get("step_id")))
        for program in candidates:
            self._seen[(program, job)] += 1
        # The program furthest from its quota first, so that every role gets its kills.
        have = self.count()
        for program in sorted(candidates, key=lambda p: have[p] - self.per_program.get(p, 0)):
            if program and self._wanted(program, job):
                if event == "step.approved":
                    self._down.add(program)  # reserved while the tool gets going
                    self._spawn(self._kill_running(program, job, str(body.get("step_id"))))
                else:
                    self._kill(program, job, event)
                return

    async def _kill_running(self, program: str, job: str, step: str) -> None:
        """Kill the agent a moment into its tool's run, if the step has no result yet."""
        await asyncio.sleep(self.into_tool)
        self._down.discard(program)
        if step not in self._results:
            self._kill(program, job, "step.approved")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _kill(self, program: str, job: str, event: str) -> None:
        pids = live_pids(self.home, program)
        if not pids:
            return
        pid = pids[0]
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        now = time.monotonic()
        self.kills.append(Kill(program, pid, job, event, now))
        self._last[program] = now
        self._hit.add((program, job))
        self._down.add(program)
        self._spawn(self._restarted(program, pid, now))

    async def _restarted(self, program: str, old: int, since: float) -> None:
        """supervisord restarts a program that died (autorestart); wait until it is ready."""
        deadline = since + 120
        while time.monotonic() < deadline:
            if [p for p in live_pids(self.home, program) if p != old]:
                self.restarts.append(time.monotonic() - since)
                self._down.discard(program)
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{program} was not restarted within 120 s of its kill")

    async def settle(self) -> None:
        """Wait for every restart; fail if one did not happen."""
        while self._tasks:
            await asyncio.gather(*self._tasks)


def log_lines(home: Path, program: str) -> list[dict[str, Any]]:
    """Every JSON line the program's processes logged (all incarnations share one file)."""
    out = []
    for f in sorted((home / "logs").glob(f"{program}-*.log*")):
        for line in f.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    out.append(item)
    return out


def recovery(home: Path, program: str) -> dict[str, int]:
    """Redeliveries (messages handled again after a delivery that died) and replays (model
    turns and tool results taken from the log, idempotent calls run again) of one program."""
    lines = log_lines(home, program)
    redelivered = {
        line.get("seq")
        for line in lines
        if int(line.get("delivery", 1)) > 1 and line.get("event") in ("handled", "skipped")
    }
    return {
        "redeliveries": len(redelivered),
        "turns_replayed": sum(
            int(x.get("turns", 0)) for x in lines if x.get("event") == "replayed_turns"
        ),
        "steps_replayed": sum(
            int(x.get("steps_replayed", 0)) for x in lines if x.get("event") == "took_over"
        ),
        "reran": sum(int(x.get("reran", 0)) for x in lines if x.get("event") == "took_over"),
    }
