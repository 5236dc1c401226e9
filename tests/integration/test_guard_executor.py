"""The trust boundary end to end: the guard decides on the bus, the MCP sandbox server executes
only what the guard signed, and a held step runs only after a token from a plain tenant client."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest

from mcp import Client
from services.guard.app import build as build_guard
from shared import subjects as s
from shared.bus.client import Bus, inbox_for
from shared.decisions import Signer, Verifier
from shared.executor import Executor, PgExecutionStore
from shared.ids import new_id, new_job_id
from shared.messages import ApprovalGranted, StepProposed
from shared.registry import add_tenant
from tests.support.approve import operator_token
from tests.support.mcp_servers import sandbox_server, text
from tests.support.running import collecting, eventually, running, settings

TENANT = "ext-b"  # has external NATS credentials from the start (see conftest)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    wt = tmp_path / "shop"
    (wt / "tests").mkdir(parents=True)
    (wt / "shop.py").write_text("def total(xs: list[int]) -> int:\n    return sum(xs)\n")
    (wt / "tests" / "test_shop.py").write_text(
        "from shop import total\n\n\ndef test_total() -> None:\n    assert total([1, 2]) == 3\n"
    )
    (wt / "pyproject.toml").write_text("[tool.pytest.ini_options]\npythonpath = ['.']\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-C", str(wt), *args], check=True
        )
    return wt


def _decision(body: dict[str, Any], job: str) -> dict[str, str]:
    return {
        "tenant": TENANT,
        "job_id": job,
        "step_id": body["step_id"],
        "signature": body["signature"],
        "key_id": body["key_id"],
        "args_sha256": body["args_sha256"],
    }


async def _event(col: Any, suffix: str, step_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        for subject, body in col.items:
            if subject.endswith(suffix) and body.get("step_id") == step_id:
                return dict(body)
        return None

    return await eventually(probe)


@asynccontextmanager
async def guarded(
    bus: Bus, pool: asyncpg.Pool[Any], guard_url: str, pg_url: str, home: Path, repo: Path
) -> AsyncIterator[tuple[Any, str]]:
    """A guard on the bus and the sandbox MCP server that trusts its key (entered in the test's
    own task: MCP clients may not cross tasks)."""
    await add_tenant(pool, bus, TENANT)
    guard = build_guard()
    guard.settings = settings(guard_url, pg_url, home)
    job = new_job_id()
    key = Signer.load_or_create(guard.settings.key_file()).public_key
    executor = Executor(
        verifier=Verifier([key]), tenant=TENANT, job_id=job, store=PgExecutionStore(pg_url)
    )
    server = sandbox_server.build_server(executor, repo, timeout_s=60)
    try:
        async with running(guard), Client(server) as client:
            yield client, job
    finally:
        await executor.aclose()


async def test_allowed_denied_and_held_steps_at_the_executor(
    bus: Bus, nats_as: Any, pool: asyncpg.Pool[Any], pg_url: str, tmp_path: Path, repo: Path
) -> None:
    async with guarded(bus, pool, nats_as("guard"), pg_url, tmp_path / "guard", repo) as (
        client,
        job,
    ):
        await _scenario(client, job, bus, nats_as, pool)


async def _scenario(client: Any, job: str, bus: Bus, nats_as: Any, pool: asyncpg.Pool[Any]) -> None:
    tests = StepProposed(
        step_id=new_id(), agent="qa", tool="run_command", arguments={"command": "pytest -q"}
    )
    wipe = StepProposed(
        step_id=new_id(), agent="qa", tool="run_command", arguments={"command": "rm -fr /"}
    )
    push = StepProposed(
        step_id=new_id(),
        agent="backend",
        tool="run_command",
        arguments={"command": "git push --force origin main"},
    )
    async with collecting(bus, s.job_events(TENANT, job)) as col:
        for step in (tests, wipe, push):
            await bus.publish_job(TENANT, job, step)

        # Allowed: the signed decision runs the tests in the sandbox.
        approved = await _event(col, ".step.approved", tests.step_id)
        ran = await client.call_tool(
            "run_command", {"command": "pytest -q", "decision": _decision(approved, job)}
        )
        assert not ran.is_error and "1 passed" in text(ran)

        # Denied: there is no decision to present; a made-up one is refused by the executor.
        await _event(col, ".step.denied", wipe.step_id)
        forged = {**_decision(approved, job), "step_id": wipe.step_id}
        refused = await client.call_tool("run_command", {"command": "rm -fr /", "decision": forged})
        assert refused.is_error and "refused" in text(refused)

        # Held: nothing runs until a human's token arrives from a plain tenant client.
        waiting = await _event(col, ".step.awaiting_approval", push.step_id)
        early = await client.call_tool(
            "run_command",
            {
                "command": "git push --force origin main",
                "decision": {**_decision(approved, job), "step_id": push.step_id},
            },
        )
        assert early.is_error
        token = await operator_token(bus, TENANT, waiting["request_id"])
        url = nats_as(f"tenant-{TENANT}")
        tenant_nc = await nats.connect(url, inbox_prefix=inbox_for(url))
        await tenant_nc.publish(
            s.job(TENANT, job, "approval.granted"),
            ApprovalGranted(request_id=waiting["request_id"], token=token).to_bytes(),
        )
        await tenant_nc.flush()
        await tenant_nc.close()
        released = await _event(col, ".step.approved", push.step_id)
        pushed = await client.call_tool(
            "run_command",
            {"command": "git push --force origin main", "decision": _decision(released, job)},
        )
        assert "refused" not in text(pushed)  # it ran (and failed: this repo has no remote)
        again = await client.call_tool(
            "run_command",
            {"command": "git push --force origin main", "decision": _decision(released, job)},
        )
        assert again.is_error and "already executed" in text(again)
    steps = await pool.fetch(
        "SELECT step_id FROM executions WHERE tenant_id = $1 AND job_id = $2", TENANT, job
    )
    assert {r["step_id"] for r in steps} == {tests.step_id, push.step_id}
