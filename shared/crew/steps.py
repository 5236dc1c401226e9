"""Guarded tool calls: every call an agent makes goes proposal -> guard decision -> execution
by the MCP server (which verifies the signature) -> recorded result.

The arguments are scanned for secrets first (a hit goes back to the model and is never
published). Step ids are deterministic per agent run, so an agent that takes a job over after a
crash finds the results already recorded and replays them instead of running the tools again.
A step the dead instance proposed but left without a result has an unknown outcome when the
executions table shows it started: an idempotent tool is run again under a step id of its own
(``<step>-again<n>``: no step ever executes twice), any other is reported as interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg

from shared import inputs
from shared import subjects as s
from shared.bus.client import Bus
from shared.bus.history import Entry
from shared.messages import StepProposed, StepResult
from shared.natsauth import subscribe_ordered
from shared.observe import metrics
from shared.observe import tracing as otel
from shared.policy.injection import fence_untrusted
from shared.policy.secrets import redact, scan
from shared.tools import CHANGES_WORKTREE, IDEMPOTENT

OUTPUT_LIMIT = 16_000
INTERRUPTED = (
    "interrupted: the agent running this call stopped before its outcome was recorded; "
    "it may or may not have taken effect. Check before trying again."
)
DENIED = "denied by the safety guard: "
Execute = Callable[[str, dict[str, Any], dict[str, str]], Awaitable[tuple[bool, str]]]


def cut(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """``text`` within ``limit`` characters: its head and its tail (where a test run's summary
    and a traceback's end are), with a marker saying how much was cut and how to see it."""
    if len(text) <= limit:
        return text
    marker = (
        "\n[... {n} characters cut here; view_file with start_line/end_line, search_files "
        "or a narrower command shows them ...]\n"
    )
    room = limit - len(marker.format(n=len(text)))
    head, tail = room * 2 // 5, room - room * 2 // 5
    return text[:head] + marker.format(n=len(text) - head - tail) + text[len(text) - tail :]


class StepWatcher:
    """Follows one job's ``step.*`` events from the start of the stream: decisions and results."""

    def __init__(self) -> None:
        self.decisions: dict[str, tuple[str, dict[str, Any]]] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.waiting: dict[str, dict[str, Any]] = {}
        self.proposed: set[str] = set()
        self._changed = asyncio.Condition()
        self._sub: Any = None

    def _record(self, event: str, body: dict[str, Any]) -> None:
        step_id = body.get("step_id")
        if not isinstance(step_id, str):
            return
        if event in ("step.approved", "step.denied"):
            self.decisions[step_id] = (event, body)
        elif event == "step.awaiting_approval":
            self.waiting[step_id] = body
        elif event == "step.result":
            self.results[step_id] = body
        elif event == "step.proposed":
            self.proposed.add(step_id)

    def seed(self, entries: Iterable[Entry]) -> None:
        """What the job's log held when the run began (the subscription catches up later)."""
        for e in entries:
            if e.event.startswith("step."):
                self._record(e.event, e.body)

    async def start(self, bus: Bus, tenant: str, job_id: str) -> None:
        prefix = len(s.job_events(tenant, job_id)) - 1

        async def on_msg(msg: Msg) -> None:
            try:
                body = json.loads(msg.data)
            except ValueError:
                return
            self._record(msg.subject[prefix:], body)
            async with self._changed:
                self._changed.notify_all()

        subject = s.job(tenant, job_id, "step.proposed").rsplit(".", 1)[0] + ".*"
        self._sub = await subscribe_ordered(bus.js, subject, stream=s.JOBS_STREAM, cb=on_msg)

    async def decision(self, step_id: str, timeout: float) -> tuple[str, dict[str, Any]]:
        async def wait() -> tuple[str, dict[str, Any]]:
            async with self._changed:
                await self._changed.wait_for(lambda: step_id in self.decisions)
            return self.decisions[step_id]

        return await asyncio.wait_for(wait(), timeout)

    async def stop(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()


@dataclass
class ToolGateway:
    """One agent run's way to call tools. ``execute`` reaches the MCP servers."""

    bus: Bus
    tenant: str
    job_id: str
    agent: str
    run_key: str  # unique per agent run within the job, e.g. "backend-t1-r1"
    watcher: StepWatcher
    execute: Execute
    task_id: str | None = None
    decision_timeout: float = 3600.0
    calls: int = 0
    log: list[tuple[str, str, bool]] = field(default_factory=list)  # (tool, step id, ok)
    # Called after a tool that changes the worktree succeeded: the job branch is the durable
    # workspace, so the change is committed and pushed before the model moves on.
    after_change: Callable[[str, str], Awaitable[None]] | None = None
    # Whether the executions table shows a step started (asked only of steps a dead
    # instance proposed); None: never re-run anything.
    executed: Callable[[str], Awaitable[bool]] | None = None
    replayed: int = 0  # results taken from the log instead of running the tool
    reran: int = 0  # idempotent calls of unknown outcome run again under a new step id

    def next_step_id(self) -> str:
        self.calls += 1
        return f"{self.run_key}-{self.calls}"

    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """Run one tool call through the guard; the (fenced) text the model gets back, cut to
        ``OUTPUT_LIMIT`` keeping its head and tail (``cut``)."""
        _, output = await self.run(tool, arguments)
        return fence_untrusted(cut(output), f"tool {tool}")

    async def run(
        self, tool: str, arguments: dict[str, Any], *, step_id: str | None = None
    ) -> tuple[bool, str]:
        """Run one tool call through the guard: (succeeded, redacted output, whole; the event
        log keeps it cut). ``step_id``: a fixed id for a call the platform makes itself (the
        model's calls are numbered)."""
        attrs = {"devforge.tool": tool, otel.INPUT: arguments}
        with otel.span(f"tool {tool}", "tool", attrs, job_id=self.job_id) as span:
            ok, output = await self._run(tool, arguments, step_id)
            outcome = "ok" if ok else "denied" if output.startswith(DENIED) else "failed"
            metrics.TOOL_CALLS.labels(tool, outcome).inc()
            otel.set_attrs(span, {"devforge.outcome": outcome, otel.OUTPUT: output})
            return ok, output

    async def _run(
        self, tool: str, arguments: dict[str, Any], step_id: str | None
    ) -> tuple[bool, str]:
        findings = scan(json.dumps(arguments))
        if findings:  # never published: the model gets the error and nothing else happens
            kinds = ", ".join(sorted({f.kind for f in findings}))
            return False, f"error: the arguments contain a secret ({kinds}); never pass secrets"
        wrong = inputs.problem(arguments, "arguments")
        if wrong is not None:  # no reader of the bus would take it: say so instead
            return False, f"error: {wrong}; write it another way (an escape sequence)"
        step_id = step_id or self.next_step_id()
        base, again = step_id, 0
        while True:
            recorded = self.watcher.results.get(step_id)
            if recorded is not None:  # taken over after a crash: the result is already known
                self.replayed += 1
                self.log.append((tool, step_id, bool(recorded.get("ok"))))
                return bool(recorded.get("ok")), str(recorded.get("output", ""))
            if not await self._unknown_outcome(step_id):
                break
            if tool not in IDEMPOTENT:
                await self._publish_result(step_id, tool, False, INTERRUPTED)
                return False, INTERRUPTED
            again += 1
            self.reran += 1
            step_id = f"{base}-again{again}"
        if step_id not in self.watcher.proposed:
            proposal = StepProposed(
                step_id=step_id,
                agent=self.agent,
                tool=tool,
                arguments=arguments,
                task_id=self.task_id,
            )
            await self.bus.publish_job(self.tenant, self.job_id, proposal)
        kind, body = await self.watcher.decision(step_id, self.decision_timeout)
        if kind == "step.denied":
            ok, output = False, DENIED + "; ".join(body.get("reasons", []))
        else:
            decision = {
                "tenant": self.tenant,
                "job_id": self.job_id,
                "step_id": step_id,
                "signature": body["signature"],
                "key_id": body["key_id"],
                "args_sha256": body["args_sha256"],
            }
            ok, output = await self.execute(tool, arguments, decision)
        # The change reaches the job branch before its result is recorded: a result in the log
        # always means the branch has the change.
        if ok and self.after_change is not None and tool in CHANGES_WORKTREE:
            await self.after_change(tool, step_id)
        clean = await self._publish_result(step_id, tool, ok, output)
        self.log.append((tool, step_id, ok))
        return ok, clean

    async def _unknown_outcome(self, step_id: str) -> bool:
        """A step a dead instance proposed, approved, and started executing, with no result."""
        if step_id not in self.watcher.proposed or self.executed is None:
            return False
        kind, _ = await self.watcher.decision(step_id, self.decision_timeout)
        return kind == "step.approved" and await self.executed(step_id)

    async def _publish_result(self, step_id: str, tool: str, ok: bool, output: str) -> str:
        """Publish the result (cut to ``OUTPUT_LIMIT``); the whole redacted output back."""
        clean = inputs.storable(redact(output))
        kept = cut(clean)
        await self.bus.publish_job(
            self.tenant,
            self.job_id,
            StepResult(step_id=step_id, tool=tool, ok=ok, output=kept, truncated=kept != clean),
        )
        return clean
