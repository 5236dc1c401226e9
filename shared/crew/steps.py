"""Guarded tool calls: every call an agent makes goes proposal -> guard decision -> execution
by the MCP server (which verifies the signature) -> recorded result.

The arguments are scanned for secrets first (a hit goes back to the model and is never
published). Step ids are deterministic per agent run, so an agent that takes a job over after a
crash finds the results already recorded and replays them instead of running the tools again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg

from shared import subjects as s
from shared.bus.client import Bus
from shared.messages import StepProposed, StepResult
from shared.natsauth import subscribe_ordered
from shared.policy.injection import fence_untrusted
from shared.policy.secrets import redact, scan

OUTPUT_LIMIT = 16_000
CHANGES_WORKTREE = frozenset({"write_file", "delete_file", "run_command"})
Execute = Callable[[str, dict[str, Any], dict[str, str]], Awaitable[tuple[bool, str]]]


class StepWatcher:
    """Follows one job's ``step.*`` events from the start of the stream: decisions and results."""

    def __init__(self) -> None:
        self.decisions: dict[str, tuple[str, dict[str, Any]]] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.waiting: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._sub: Any = None

    async def start(self, bus: Bus, tenant: str, job_id: str) -> None:
        prefix = len(s.job_events(tenant, job_id)) - 1

        async def on_msg(msg: Msg) -> None:
            event = msg.subject[prefix:]
            try:
                body = json.loads(msg.data)
            except ValueError:
                return
            step_id = body.get("step_id")
            if not isinstance(step_id, str):
                return
            if event in ("step.approved", "step.denied"):
                self.decisions[step_id] = (event, body)
            elif event == "step.awaiting_approval":
                self.waiting[step_id] = body
            elif event == "step.result":
                self.results[step_id] = body
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

    def next_step_id(self) -> str:
        self.calls += 1
        return f"{self.run_key}-{self.calls}"

    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """Run one tool call through the guard; the (fenced) text the model gets back."""
        _, output = await self.run(tool, arguments)
        return fence_untrusted(output, f"tool {tool}")

    async def run(
        self, tool: str, arguments: dict[str, Any], *, step_id: str | None = None
    ) -> tuple[bool, str]:
        """Run one tool call through the guard: (succeeded, redacted output). ``step_id``: a
        fixed id for a call the platform makes itself (the model's calls are numbered)."""
        findings = scan(json.dumps(arguments))
        if findings:  # never published: the model gets the error and nothing else happens
            kinds = ", ".join(sorted({f.kind for f in findings}))
            return False, f"error: the arguments contain a secret ({kinds}); never pass secrets"
        step_id = step_id or self.next_step_id()
        recorded = self.watcher.results.get(step_id)
        if recorded is not None:  # taken over after a crash: the result is already known
            self.log.append((tool, step_id, bool(recorded.get("ok"))))
            return bool(recorded.get("ok")), str(recorded.get("output", ""))
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
            ok, output = False, "denied by the safety guard: " + "; ".join(body.get("reasons", []))
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
        clean = redact(output)
        truncated = len(clean) > OUTPUT_LIMIT
        clean = clean[:OUTPUT_LIMIT]
        await self.bus.publish_job(
            self.tenant,
            self.job_id,
            StepResult(step_id=step_id, tool=tool, ok=ok, output=clean, truncated=truncated),
        )
        self.log.append((tool, step_id, ok))
        if ok and self.after_change is not None and tool in CHANGES_WORKTREE:
            await self.after_change(tool, step_id)
        return ok, clean
