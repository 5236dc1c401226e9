"""Cost budgets on the real bus and database: a job stops before the model call that could cross
its cap (never after), the guard stops steps once a cap is reached, concurrent calls never
reserve past a cap together, and ``devforge cost`` reports what was spent."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.guard.app import build as build_guard
from shared import ledger, registry
from shared import subjects as s
from shared.bus.client import Bus
from shared.ids import new_id, new_job_id
from shared.messages import StepProposed
from shared.models.config import load_models_file, model_config
from shared.models.pricing import dollars, price_for
from shared.models.server import BackgroundServer
from shared.models.transcripts import Transcript, load_transcript, save_transcript
from shared.observe import metrics
from shared.settings import Settings
from tests.support.crew import DEMO, crew, demo_repo, demo_ticket
from tests.support.running import collecting, eventually, running, settings

ROOT = Path(__file__).resolve().parents[2]
LEAD = DEMO / "transcripts" / "demo" / "lead-a1.json"


# What a hosted provider reports for each of the lead's calls in this test: large enough that
# what a call costs outweighs the ceiling reserved before it (the request's bytes as tokens).
PRICED_USAGE = {"prompt_tokens": 20_000, "completion_tokens": 100, "total_tokens": 20_100}


def _priced_demo(where: Path) -> Path:
    """The demo transcripts, the lead's turns reporting ``PRICED_USAGE``."""
    shutil.copytree(DEMO / "transcripts", where)
    lead = load_transcript(where / "demo" / "lead-a1.json")
    turns = [t.model_copy(update={"usage": PRICED_USAGE}) for t in lead.turns]
    save_transcript(where / "demo" / "lead-a1.json", Transcript(agent=lead.agent, turns=turns))
    return where


def _lead_costs(transcripts: Path) -> list[float]:
    """What each of the lead's recorded calls costs at the price of the lead's model."""
    table = load_models_file({}).prices
    price = price_for(table, model_config("lead", {"DEVFORGE_MODEL_BASE_URL": "http://x"}).primary)
    turns = load_transcript(transcripts / "demo" / "lead-a1.json").turns
    return [
        dollars(price, t.usage["prompt_tokens"], t.usage["completion_tokens"])
        for t in turns
        if t.usage
    ]


async def test_a_job_stops_before_the_model_call_that_would_cross_its_budget(
    bus: Bus,
    tenant: str,
    nats_as: Any,
    pg_url: str,
    pool: asyncpg.Pool[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transcripts = _priced_demo(tmp_path / "transcripts")
    costs = _lead_costs(transcripts)
    assert len(costs) == 3
    # The recorded run crosses the cap in the lead's last call: the job must stop before it.
    budget = costs[0] + costs[1] + 0.001
    models_file = tmp_path / "models.yaml"
    models_file.write_text("defaults:\n  max_tokens: 200\n")  # a tight ceiling per call
    monkeypatch.setenv("DEVFORGE_MODELS_FILE", str(models_file))
    await registry.add_tenant(pool, bus, tenant)
    repo = demo_repo(tmp_path / "src")
    await registry.add_repo(pool, bus, tenant, "shop", f"file://{repo}", "main")
    job = new_job_id()
    stops = metrics.BUDGET_STOPS.labels("job", "model")._value.get()
    # Priced like a hosted provider's answers (no test-double fingerprint): replayed turns
    # would cost nothing and no budget would ever be reached.
    server = BackgroundServer(transcripts, priced=True).start()
    monkeypatch.setenv("DEVFORGE_MODEL_BASE_URL", server.url)
    try:
        async with (
            crew(nats_as, pg_url, tmp_path / "home", job_budget_usd=budget),
            collecting(bus, s.job_events(tenant, job)) as col,
        ):
            ticket = demo_ticket("shop")
            await bus.publish_job(tenant, job, ticket)

            async def failed() -> dict[str, Any] | None:
                return next((b for j, b in col.items if j.endswith(".job.failed")), None)

            end = await eventually(failed, timeout=90)
    finally:
        server.stop()
    calls = [e for e in server.app.state.log if e["agent"] == "lead-a1"]
    rows = await pool.fetch("SELECT turn, cost_usd FROM costs WHERE job_id = $1 ORDER BY turn", job)
    # Never after: what was spent fits under the cap, and the recorded run would not have.
    assert sum(costs) > budget
    assert 0 < sum(float(r["cost_usd"]) for r in rows) <= budget
    # Every call that was made was recorded, in order; the refused one was never sent.
    assert [r["turn"] for r in rows] == [int(c["turn"]) for c in calls] == list(range(len(rows)))
    assert len(rows) < len(costs)
    assert end["service"] == "lead"
    assert "job budget reached" in end["reason"]
    assert f"model call {len(rows)} of lead-a1" in end["reason"]
    assert "DEVFORGE_JOB_BUDGET_USD" in end["reason"]
    assert [j.rsplit(".", 1)[-1] for j, _ in col.items].count("updated") == len(rows)
    assert not any(j.endswith(".ticket.planned") for j, _ in col.items)
    assert await pool.fetchval("SELECT count(*) FROM cost_reservations WHERE job_id = $1", job) == 0
    assert metrics.BUDGET_STOPS.labels("job", "model")._value.get() == stops + 1


def _guard(nats_url: str, pg_url: str, home: Path, **kw: Any) -> Any:
    g = build_guard()
    g.settings = settings(nats_url, pg_url, home, **kw)
    return g


async def _spent(pool: asyncpg.Pool[Any], tenant: str, job: str, usd: float) -> None:
    entry = ledger.Entry(
        call_id=new_id(),
        tenant=tenant,
        job_id=job,
        agent="backend-t1-r1",
        role="backend",
        model="m",
        input_tokens=10,
        output_tokens=10,
        cost_usd=usd,
        source="price_table",
    )
    await ledger.settle(pool, entry)


async def _outcome(col: Any, step_id: str) -> tuple[str, dict[str, Any]]:
    async def probe() -> tuple[str, dict[str, Any]] | None:
        for subject, body in col.items:
            if body.get("step_id") == step_id and not subject.endswith(".step.proposed"):
                return subject.rsplit(".", 1)[-1], body
        return None

    return await eventually(probe, timeout=20)


def _step() -> StepProposed:
    return StepProposed(
        step_id=new_id(), agent="backend", tool="read_file", arguments={"path": "a"}
    )


async def test_the_guard_stops_steps_once_a_budget_is_reached(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    tenant = registered
    under, over, month = new_job_id(), new_job_id(), new_job_id()
    guard = _guard(nats_as("guard"), pg_url, tmp_path, job_budget_usd=1.0)
    await _spent(pool, tenant, under, 0.5)
    await _spent(pool, tenant, over, 1.0)
    async with running(guard):
        async with collecting(bus, f"{s.PREFIX}.{tenant}.job.>") as col:
            steps = {job: _step() for job in (under, over)}
            for job, step in steps.items():
                await bus.publish_job(tenant, job, step)
            assert (await _outcome(col, steps[under].step_id))[0] == "approved"
            kind, denied = await _outcome(col, steps[over].step_id)
            assert kind == "denied" and denied["rule_ids"] == ["budget.job"]

            async def failed() -> list[dict[str, Any]]:
                return [b for j, b in col.items if j.endswith(f"{over}.job.failed")]

            (end,) = await eventually(failed)
            assert end["service"] == "guard" and "job budget reached" in end["reason"]
            assert not any(j.endswith(f"{under}.job.failed") for j, _ in col.items)

        # The tenant's own monthly cap (already spent: 1.5) stops a job that spent nothing.
        await ledger.set_tenant_budgets(pool, tenant, {"monthly_budget_usd": 1.5})
        async with collecting(bus, s.job_events(tenant, month)) as col:
            step = _step()
            await bus.publish_job(tenant, month, step)
            kind, denied = await _outcome(col, step.step_id)
            assert kind == "denied" and denied["rule_ids"] == ["budget.tenant_month"]
            assert "tenant setting monthly_budget_usd" in denied["reasons"][0]


async def test_concurrent_calls_never_reserve_past_a_cap_together(
    registered: str, pool: asyncpg.Pool[Any]
) -> None:
    job = new_job_id()
    config = Settings(job_budget_usd=5.0, tenant_monthly_budget_usd=0)

    async def one(i: int) -> bool:
        refused = await ledger.reserve(
            pool,
            config,
            tenant=registered,
            job_id=job,
            call_id=f"{job}-{i}",
            ceiling_usd=1.0,
            what=f"call {i}",
        )
        return refused is None

    results = await asyncio.gather(*(one(i) for i in range(12)))
    assert sum(results) == 5
    held = await pool.fetchval(
        "SELECT sum(ceiling_usd) FROM cost_reservations WHERE job_id = $1", job
    )
    assert float(held) == 5.0
    await ledger.release(pool, f"{job}-{results.index(True)}")  # one that holds room
    assert await one(99)  # a released reservation frees its room


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_devforge_cost_reports_per_job_and_per_call(
    registered: str, nats_url: str, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    tenant = registered
    job = new_job_id()
    await pool.execute(
        "INSERT INTO jobs (id, tenant_id, repo_id, title, submitted_by, status) "
        "VALUES ($1, $2, 'shop', 'Add /health', 'ann', 'completed')",
        job,
        tenant,
    )
    await _spent(pool, tenant, job, 0.25)
    await _spent(pool, tenant, job, 0.5)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "DEVFORGE_HOME": str(tmp_path),
        "DEVFORGE_NATS_URL": nats_url,
        "DEVFORGE_DATABASE_URL": pg_url,
        "DEVFORGE_JOB_BUDGET_USD": "2",
        "COLUMNS": "200",
    }
    per_job, per_call, table, bad = await asyncio.gather(
        asyncio.to_thread(_cli, env, "cost", "--tenant", tenant, "--json"),
        asyncio.to_thread(_cli, env, "cost", "--tenant", tenant, "--job", job, "--json"),
        asyncio.to_thread(_cli, env, "cost", "--tenant", tenant),
        asyncio.to_thread(_cli, env, "cost", "--tenant", tenant, "--job", "nope"),
    )
    assert per_job.returncode == 0, per_job.stderr
    doc = json.loads(per_job.stdout)
    (row,) = doc["rows"]
    assert (row["job_id"], row["calls"], row["cost_usd"]) == (job, 2, 0.75)
    assert doc["job_budget_usd"] == 2.0 and doc["month_spent_usd"] == 0.75
    calls = json.loads(per_call.stdout)
    assert [r["cost_usd"] for r in calls["rows"]] == [0.25, 0.5] and calls["job_spent_usd"] == 0.75
    assert table.returncode == 0 and job in table.stdout and "$0.7500" in table.stdout
    assert bad.returncode == 1 and bad.stderr.strip().startswith("devforge: invalid job id")
    assert len(bad.stderr.strip().splitlines()) == 1
