"""Bad model output, through the production provider over HTTP (replay server) on the real bus:
arguments that are not JSON go back to the model as an error; a tool the agent does not have,
or a plan that stays invalid after its one repair round, ends the job ``failed`` with the reason.
The services stay up and the job never hangs in ``running``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg

from shared import registry
from shared import subjects as s
from shared.bus.client import Bus
from shared.ids import new_job_id
from shared.messages import TicketSubmitted
from tests.support.crew import crew, demo_repo, replay_server
from tests.support.running import collecting, eventually

PLAN = {
    "summary": "Add /health.",
    "tasks": [
        {
            "id": "t1",
            "kind": "backend",
            "title": "Add GET /health",
            "description": "Answer 200.",
            "acceptance_criteria": ["tests pass"],
            "files": ["shop.py"],
        }
    ],
}


def _text(content: str) -> dict[str, Any]:
    return {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}


def _call(name: str, arguments: str, *, unknown: bool = False) -> dict[str, Any]:
    call = {"id": f"call_{name}", "type": "function"}
    call["function"] = {"name": name, "arguments": arguments}  # type: ignore[assignment]
    turn: dict[str, Any] = {"message": {"role": "assistant", "content": None, "tool_calls": [call]}}
    if unknown:
        turn["offers_unknown_tool"] = True
    return turn


def _write(root: Path, transcript: str, agent: str, *turns: dict[str, Any]) -> None:
    (root / transcript).mkdir(parents=True, exist_ok=True)
    body = {"agent": agent, "turns": [{"model": "test-model", **t} for t in turns]}
    (root / transcript / f"{agent}.json").write_text(json.dumps(body))


async def _run(
    bus: Bus, tenant: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp: Path, name: str
) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    repo = demo_repo(tmp / "src")
    await registry.add_repo(pool, bus, tenant, "bad-shop", f"file://{repo}", "main")
    job = new_job_id()
    ticket = TicketSubmitted(repo="bad-shop", title="Add /health", body="...", submitted_by="ann")
    with replay_server(tmp / "transcripts"):
        async with (
            crew(nats_as, pg_url, tmp / "home", transcript=name),
            collecting(bus, s.job_events(tenant, job)) as col,
        ):
            await bus.publish_job(tenant, job, ticket)

            async def ended() -> dict[str, Any] | None:
                return next((b for sj, b in col.items if sj.endswith(".job.failed")), None)

            failed = await eventually(ended, timeout=90)

            async def recorded() -> bool:  # the projector records the end: nothing hangs
                return await pool.fetchval("SELECT status FROM jobs WHERE id = $1", job) == "failed"

            assert await eventually(recorded, timeout=30)
    events = [(sj.split(".", 4)[4], b) for sj, b in col.items]
    return str(failed["reason"]), events


async def test_bad_arguments_go_back_to_the_model_and_an_unknown_tool_fails_the_job(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    root = tmp_path / "transcripts"
    _write(root, "bad-tools", "lead-a1", _text(json.dumps(PLAN)))
    _write(
        root,
        "bad-tools",
        "backend-t1-r1",
        _call("write_file", '{"path": "shop.py", "content": '),  # cut off: not JSON
        _call("format_disk", '{"device": "/dev/sda"}', unknown=True),
    )
    reason, events = await _run(bus, registered, nats_as, pg_url, pool, tmp_path, "bad-tools")
    assert "format_disk" in reason and "not found" in reason, reason
    # The malformed call never became a step; the model was told why, in its next request.
    # (The steps there are the platform's own: the environment for the lead and the backend,
    # and the code search for the backend's first message.)
    # (QA's baseline of the base commit, run once the plan is approved, runs beside them.)
    proposed = [b["step_id"] for e, b in events if e == "step.proposed"]
    crew = [p for p in proposed if not p.startswith("qa-base-")]
    assert crew == ["lead-a1-env", "backend-t1-r1-env", "backend-t1-r1-search"], proposed
    assert set(proposed) - set(crew) <= {"qa-base-1"}, proposed
    backend = [b for e, b in events if e == "model.turn" and b["agent"] == "backend-t1-r1"]
    assert [b["turn"] for b in backend] == [0, 1]
    second = backend[1]
    told = json.dumps(second["request"])
    assert "not valid JSON" in told, told


async def test_a_plan_still_invalid_after_the_repair_round_fails_the_job(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    root = tmp_path / "transcripts"
    _write(root, "bad-plan", "lead-a1", _text("Sure! Here is my plan: add a health endpoint."))
    _write(root, "bad-plan", "lead-a2", _text(json.dumps({**PLAN, "tasks": []})))
    reason, events = await _run(bus, registered, nats_as, pg_url, pool, tmp_path, "bad-plan")
    assert reason.startswith("the lead produced no valid plan"), reason
    turns = [b for e, b in events if e == "model.turn"]
    assert [t["agent"] for t in turns] == ["lead-a1", "lead-a2"]
    repair = json.dumps(turns[1]["request"])
    assert "Your previous plan was invalid" in repair, repair
    assert not any(e in ("ticket.planned", "plan.approved") for e, _ in events)
