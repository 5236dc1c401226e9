"""The guard on a real bus: decisions, signatures, approvals by token, fail-closed, timeouts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.guard.app import build as build_guard
from shared import approvals
from shared import subjects as s
from shared.approvals import ApprovalError
from shared.bus.client import Bus
from shared.decisions import DecisionInvalid, Signer, Verifier
from shared.ids import new_id, new_job_id
from shared.messages import (
    ApprovalGranted,
    MintReply,
    PlanTask,
    StepProposed,
    TaskPlan,
    TicketPlanned,
)
from shared.service import Service
from tests.support.running import collecting, eventually, running, settings


def _guard(nats_url: str, pg_url: str, home: Path, **kw: Any) -> Service:
    g = build_guard()
    g.settings = settings(nats_url, pg_url, home, **kw)
    return g


def _step(command: str) -> StepProposed:
    return StepProposed(
        step_id=new_id(), agent="backend", tool="run_command", arguments={"command": command}
    )


async def _decision(col: Any, step_id: str) -> tuple[str, dict[str, Any]]:
    async def probe() -> tuple[str, dict[str, Any]] | None:
        for subject, body in col.items:
            if body.get("step_id") == step_id and not subject.endswith(".step.proposed"):
                return subject.rsplit(".", 2)[-2] + "." + subject.rsplit(".", 1)[-1], body
        return None

    return await eventually(probe, timeout=20)


async def _mint(bus: Bus, tenant: str, request_id: str) -> MintReply:
    return await bus.mint(
        tenant, request_id, approver="ops", minted_by="operator", break_glass=True
    )


async def test_deny_allow_and_approval_by_token(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    job = new_job_id()
    guard = _guard(nats_as("guard"), pg_url, tmp_path)
    rm, tests, push = _step("rm -rf /"), _step("pytest -q"), _step("git push --force origin main")
    async with collecting(bus, s.job_events(registered, job)) as col, running(guard):
        for step in (rm, tests, push):
            await bus.publish_job(registered, job, step)
        assert (await _decision(col, rm.step_id))[0] == "step.denied"
        kind, approved = await _decision(col, tests.step_id)
        assert kind == "step.approved"
        kind, waiting = await _decision(col, push.step_id)
        assert kind == "step.awaiting_approval"
        assert "token" not in str(waiting).lower() or "token" in waiting["summary"].lower()

        # The signature verifies for exactly that call, and for nothing else.
        verifier = Verifier([Signer.load_or_create(guard.settings.key_file()).public_key])
        verifier.verify(
            tenant=registered,
            job_id=job,
            step_id=tests.step_id,
            tool="run_command",
            arguments={"command": "pytest -q"},
            signature=approved["signature"],
            signed_key_id=approved["key_id"],
            signed_args_sha256=approved["args_sha256"],
        )
        with pytest.raises(DecisionInvalid):
            verifier.verify(
                tenant=registered,
                job_id=job,
                step_id=push.step_id,
                tool="run_command",
                arguments={"command": "pytest -q"},
                signature=approved["signature"],
                signed_key_id=approved["key_id"],
                signed_args_sha256=approved["args_sha256"],
            )

        # A token minted by the guard, delivered by a plain client, releases the held step.
        minted = await _mint(bus, registered, waiting["request_id"])
        assert minted.token and minted.job_id == job
        await bus.publish_job(
            registered, job, ApprovalGranted(request_id=waiting["request_id"], token=minted.token)
        )

        async def released() -> dict[str, Any] | None:
            for subject, body in col.items:
                if subject.endswith(".step.approved") and body["step_id"] == push.step_id:
                    return body
            return None

        body = await eventually(released)
        assert body["request_id"] == waiting["request_id"]
        verifier.verify(
            tenant=registered,
            job_id=job,
            step_id=push.step_id,
            tool="run_command",
            arguments=push.arguments,
            signature=body["signature"],
            signed_key_id=body["key_id"],
            signed_args_sha256=body["args_sha256"],
        )
        # Replaying the used token is refused and audited.
        await bus.publish_job(
            registered,
            job,
            ApprovalGranted(request_id=waiting["request_id"], token=minted.token),
            msg_id_override="replay",
        )

        async def replay_audited() -> Any:
            return await pool.fetchval(
                "SELECT reason FROM audit_log WHERE job_id = $1 AND action = 'approval.token'", job
            )

        assert "already granted" in await eventually(replay_audited)
    audit = await pool.fetch(
        "SELECT action, verdict, actor FROM audit_log WHERE job_id = $1 ORDER BY id", job
    )
    actions = [(r["action"], r["verdict"]) for r in audit]
    assert actions.count(("step", "deny")) == 1
    assert actions.count(("step", "allow")) == 1
    assert actions.count(("step", "needs_approval")) == 1
    assert ("approval.granted", "allow") in actions


async def test_a_stopped_guard_decides_nothing_until_it_returns(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, tmp_path: Path
) -> None:
    job = new_job_id()
    step = _step("pytest -q")
    async with collecting(bus, s.job_events(registered, job)) as col:
        await bus.publish_job(registered, job, step)
        await asyncio.sleep(1.0)
        assert col.subjects(".step.approved") == []
        async with running(_guard(nats_as("guard"), pg_url, tmp_path)):
            assert (await _decision(col, step.step_id))[0] == "step.approved"


async def test_plans_with_migrations_wait_for_a_human(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, tmp_path: Path
) -> None:
    simple, risky = new_job_id(), new_job_id()
    backend = PlanTask(id="t1", kind="backend", title="Add /health", files=["app.py"])
    migration = PlanTask(id="t2", kind="migration", title="Add a column", files=["m/001.sql"])
    async with (
        collecting(bus, f"devforge.{registered}.job.*.plan.>") as col,
        running(_guard(nats_as("guard"), pg_url, tmp_path)),
    ):
        await bus.publish_job(registered, simple, TicketPlanned(plan=TaskPlan(tasks=[backend])))
        await bus.publish_job(
            registered, risky, TicketPlanned(plan=TaskPlan(tasks=[backend, migration]))
        )
        await eventually(lambda: _true(len(col.items) >= 2))
    got = {subj.split(".")[3]: subj.split(".", 4)[4] for subj, _ in col.items}
    assert got == {simple: "plan.approved", risky: "plan.awaiting_approval"}


async def test_approval_timeout_denies_and_fails_the_job(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, tmp_path: Path
) -> None:
    job = new_job_id()
    step = _step("git push origin main")
    guard = _guard(nats_as("guard"), pg_url, tmp_path, approval_timeout=1.0)
    async with collecting(bus, s.job_events(registered, job)) as col, running(guard):
        await bus.publish_job(registered, job, step)
        failed = await eventually(lambda: _true(col.subjects(".job.failed")), timeout=20)
    assert failed
    reasons = [b.get("reason") for subj, b in col.items if subj.endswith(".job.failed")]
    assert reasons == ["approval timeout"]
    assert col.subjects(".step.denied")


async def test_two_concurrent_uses_of_one_token_exactly_one_wins(
    pool: asyncpg.Pool[Any], registered: str
) -> None:
    job = new_job_id()
    async with pool.acquire() as conn:
        request_id, _ = await approvals.open_request(
            conn,
            tenant=registered,
            job_id=job,
            kind="step",
            step_id="s1",
            tool="run_command",
            arguments={"command": "git push"},
            timeout_s=60,
            summary="push",
            rule_ids=["x"],
        )
    minted = await approvals.mint(
        pool,
        tenant=registered,
        request_id=request_id,
        approver="ann",
        minted_by="gateway",
        ttl_s=60,
    )

    async def use() -> str:
        try:
            await approvals.consume(
                pool,
                tenant=registered,
                job_id=job,
                request_id=request_id,
                token=minted.token,
                grant=True,
            )
            return "won"
        except ApprovalError as exc:
            return str(exc)

    results = await asyncio.gather(*(use() for _ in range(8)))
    assert results.count("won") == 1
    assert all("already granted" in r for r in results if r != "won")


async def _true(value: Any) -> Any:
    return value
