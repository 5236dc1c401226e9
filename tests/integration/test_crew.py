"""The crew end to end on the real bus: ticket -> guard -> lead -> plan held for approval ->
engineers -> QA gates in the sandbox -> PR, with models replayed over HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from shared import registry
from shared import subjects as s
from shared.bus.client import Bus
from shared.forge.base import PrRequest
from shared.forge.local import LocalForge
from shared.ids import new_job_id
from shared.messages import (
    ApprovalGranted,
    JobCancelled,
    TicketSubmitted,
)
from shared.workspace import git
from tests.support.approve import operator_token
from tests.support.crew import crew, demo_repo, demo_ticket, replay_server
from tests.support.running import collecting, eventually


async def test_demo_ticket_to_pull_request(
    bus: Bus, registered: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    tenant = registered
    repo = demo_repo(tmp_path / "shop-src")
    await registry.add_repo(pool, bus, tenant, "demo-shop", f"file://{repo}", "main")
    job = new_job_id()
    ticket = demo_ticket("demo-shop")
    home = tmp_path / "home"
    with replay_server():
        async with crew(nats_as, pg_url, home), collecting(bus, s.job_events(tenant, job)) as col:
            await bus.publish_job(tenant, job, ticket)

            async def waiting() -> dict[str, Any] | None:
                return next(
                    (b for sj, b in col.items if sj.endswith("plan.awaiting_approval")), None
                )

            held = await eventually(waiting, timeout=60)
            assert "plan.migration" in held["rule_ids"]
            token = await operator_token(bus, tenant, held["request_id"])
            await bus.publish_job(
                tenant, job, ApprovalGranted(request_id=held["request_id"], token=token)
            )

            async def finished() -> str | None:
                for sj, _ in col.items:
                    if sj.endswith((".pr.opened", ".job.failed")):
                        return sj.rsplit(".", 2)[-2] + "." + sj.rsplit(".", 1)[-1]
                return None

            end = await eventually(finished, timeout=180)
            failed = [b for sj, b in col.items if sj.endswith(".job.failed")]
            assert end == "pr.opened", failed
    events = [sj.split(".", 4)[4] for sj, _ in col.items]
    assert events.count("work.done") == 1 and events.count("qa.passed") == 1
    # The backend's first message: its task, then the repo map and what code search found
    # (no indexer runs here: the search step is made, guarded, and says why it has no hits).
    first = next(
        b
        for sj, b in col.items
        if sj.endswith(".model.turn") and b["agent"] == "backend-t1-r1" and b["turn"] == 0
    )
    said = str(first["request"][-1]["content"])
    assert said.index("Your task (t1)") < said.index("most relevant to your task")
    assert "shop.py\n" in said and ": def " in said
    assert 'source="code_search"' in said and "no hits (error: code search failed" in said
    searched = [b for sj, b in col.items if sj.endswith(".step.approved")]
    assert any(b["step_id"] == "backend-t1-r1-search" for b in searched)
    passed = next(b for sj, b in col.items if sj.endswith(".qa.passed"))
    assert {g["name"]: g["passed"] for g in passed["gates"]} == {
        "tests": True,
        "coverage": True,
        "lint": True,
        "semgrep": True,
        "secrets": True,
    }
    remote = home.resolve() / "workspaces" / tenant / "demo-shop.git"
    shop = git(remote, "show", f"refs/heads/devforge/{job}:shop.py")
    assert '"/health"' in shop
    assert git(remote, "show", f"refs/heads/devforge/{job}:migrations/002_add_items_created_at.sql")
    # Every change was committed to the job branch as it happened (the branch is the workspace).
    history = git(remote, "log", "--format=%s", f"refs/heads/main..refs/heads/devforge/{job}")
    changes = history.splitlines()
    assert "backend: write_file (backend-t1-r1-2)" in changes
    assert "backend: write_file (backend-t1-r1-3)" in changes
    assert "migration: write_file (migration-t2-r1-2)" in changes
    pr = await pool.fetchrow("SELECT number, body, state FROM pull_requests WHERE job_id = $1", job)
    assert pr is not None and pr["state"] == "open"
    assert "## Tests and gates" in pr["body"] and "shop.py" in pr["body"]
    # QA ran the tests on the base commit once, when the plan was approved (its baseline, kept
    # for that commit), and the PR shows the tests' tally before -> after.
    base = git(remote, "rev-parse", "refs/heads/main")
    kept = await pool.fetchrow(
        "SELECT tally, failed FROM qa_baselines WHERE tenant_id = $1 AND commit = $2", tenant, base
    )
    assert kept is not None and re.fullmatch(r"\d+ passed", kept["tally"]), kept
    assert any(b["step_id"].startswith("qa-base") for b in searched), "no baseline step"
    tests_line = next(ln for ln in pr["body"].splitlines() if ln.startswith("- ✅ tests"))
    assert re.search(rf"tests: {kept['tally']} -> \d+ passed", tests_line), tests_line

    # A redelivered qa.passed reaches a forge that already has the PR: the same one comes back.
    again = await LocalForge(home, pool).open_pr(
        PrRequest(
            tenant=tenant,
            job_id=job,
            repo_id="demo-shop",
            source_url=str(repo),
            workspace=remote,
            branch=f"devforge/{job}",
            base="main",
            title="x",
            body="y",
        )
    )
    assert (again.number, again.created) == (pr["number"], False)
    assert await pool.fetchval("SELECT count(*) FROM pull_requests WHERE job_id = $1", job) == 1


TRANSCRIPTS = Path(__file__).parents[1] / "data" / "transcripts"


async def _run_until_end(
    bus: Bus,
    tenant: str,
    nats_as: Any,
    pg_url: str,
    pool: asyncpg.Pool[Any],
    tmp_path: Path,
    transcript: str,
    **settings: Any,
) -> list[tuple[str, dict[str, Any]]]:
    repo = demo_repo(tmp_path / "src")
    await registry.add_repo(pool, bus, tenant, "shop", f"file://{repo}", "main")
    job = new_job_id()
    ticket = TicketSubmitted(repo="shop", title="Add /health", body="...", submitted_by="ann")
    with replay_server(TRANSCRIPTS):
        async with (
            crew(
                nats_as, pg_url, tmp_path / "home", transcript=transcript, gates="tests", **settings
            ),
            collecting(bus, s.job_events(tenant, job)) as col,
        ):
            await bus.publish_job(tenant, job, ticket)

            async def ended() -> bool:
                return any(sj.endswith((".pr.opened", ".job.failed")) for sj, _ in col.items)

            await eventually(ended, timeout=180)
    return [(sj.split(".", 4)[4], b) for sj, b in col.items]


async def test_a_long_run_is_condensed_and_at_its_turn_limit_says_what_is_left(
    bus: Bus, tenant: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    """The ``long-run`` transcript (recorded with these settings, so every request, condensed
    ones included, must come out byte-for-byte as recorded or the replay server refuses it)."""
    await registry.add_tenant(pool, bus, tenant)
    events = await _run_until_end(
        bus,
        tenant,
        nats_as,
        pg_url,
        pool,
        tmp_path,
        "long-run",
        agent_max_turns=4,
        agent_context_tokens=2600,
    )
    names = [e for e, _ in events]
    turns = [b for e, b in events if e == "model.turn" and b["agent"] == "backend-t1-r1"]
    assert [t["turn"] for t in turns] == [0, 1, 2, 3, 4]  # four turns, then the wrap-up
    condensed = [t["condensed"] for t in turns if t.get("condensed")]
    assert condensed and condensed[-1]["outputs"] >= 1
    assert all(c["tokens_after"] < c["tokens_before"] for c in condensed)
    assert "pr.opened" not in names and "work.done" not in names and "task.done" not in names
    reason = next(b["reason"] for e, b in events if e == "job.failed")
    assert "reached its limit of 4 model turns" in reason, reason
    assert "Left: the /health route itself" in reason  # the agent's own account
    remote = tmp_path.joinpath("home").resolve() / "workspaces" / tenant / "shop.git"
    branches = git(remote, "branch", "--list", "devforge/*").split()
    assert len(branches) == 1  # the branch keeps the work for a retry
    shop = git(remote, "show", f"refs/heads/{branches[0]}:shop.py")
    assert shop.startswith("# /health is coming: see the ticket.")


async def test_a_broken_test_is_fixed_in_the_next_round(
    bus: Bus, tenant: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    await registry.add_tenant(pool, bus, tenant)
    events = await _run_until_end(bus, tenant, nats_as, pg_url, pool, tmp_path, "qa-fix")
    names = [e for e, _ in events]
    failed = next(b for e, b in events if e == "qa.failed")
    assert failed["round"] == 1 and any("tests" in f for f in failed["findings"])
    fix = next(b for e, b in events if e == "task.ready.backend" and b["round"] == 2)
    assert fix["task"]["id"] == "fix-2"
    # The fix round sees the failing test with its assertion, not only the gate's last line.
    assert "tests gate:" in fix["task"]["description"], fix["task"]["description"]
    assert "FAILED " in fix["task"]["description"] and "assert" in fix["task"]["description"]
    assert names.count("qa.passed") == 1 and names[-1] == "pr.opened"


async def test_a_test_never_fixed_fails_the_job_with_the_findings(
    bus: Bus, tenant: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    await registry.add_tenant(pool, bus, tenant)
    events = await _run_until_end(bus, tenant, nats_as, pg_url, pool, tmp_path, "qa-never")
    names = [e for e, _ in events]
    assert names.count("qa.failed") == 3 and "pr.opened" not in names
    reason = next(b["reason"] for e, b in events if e == "job.failed")
    assert "QA still failing after 3 round(s)" in reason and "tests" in reason


async def test_cancelling_a_job_stops_its_agent_and_kills_its_sandbox(
    bus: Bus, tenant: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    await registry.add_tenant(pool, bus, tenant)
    repo = demo_repo(tmp_path / "src")
    await registry.add_repo(pool, bus, tenant, "shop", f"file://{repo}", "main")
    job = new_job_id()
    ticket = TicketSubmitted(repo="shop", title="Slow", body="...", submitted_by="ann")
    with replay_server(TRANSCRIPTS):
        async with (
            crew(nats_as, pg_url, tmp_path / "home", transcript="slow", gates="tests") as svcs,
            collecting(bus, s.job_events(tenant, job)) as col,
        ):
            await bus.publish_job(tenant, job, ticket)

            async def running_tests() -> bool:
                return any(
                    sj.endswith(".step.approved") and b["tool"] == "run_tests"
                    for sj, b in col.items
                )

            await eventually(running_tests, timeout=60)

            async def sleeping() -> list[psutil.Process]:
                return _sandboxed(job)

            assert await eventually(sleeping, timeout=30)
            await bus.publish_job(tenant, job, JobCancelled(by="ann", reason="changed my mind"))

            async def gone() -> bool:
                return not _sandboxed(job) and not svcs["engineer-backend"]._inflight.get(job)

            await eventually(gone, timeout=20)
    assert not any(sj.endswith((".task.done", ".work.done")) for sj, _ in col.items)


def _sandboxed(job: str) -> list[psutil.Process]:
    """Processes running the job's tests (their command line names the job's worktree)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if job in cmd and "pytest" in cmd:
            found.append(p)
    return found


async def test_a_ticket_the_demo_did_not_record_fails_at_the_leads_first_turn(
    bus: Bus, tenant: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    """With the embedded models (the replay server) a ticket other than the demo's ends
    ``failed`` at once, saying how to use a real model; no plan, no engineer."""
    await registry.add_tenant(pool, bus, tenant)
    repo = demo_repo(tmp_path / "src")
    await registry.add_repo(pool, bus, tenant, "shop", f"file://{repo}", "main")
    job = new_job_id()
    ticket = TicketSubmitted(
        repo="shop", title="Headers should support len()", body="len(h) fails", submitted_by="ann"
    )
    with replay_server():
        async with (
            crew(nats_as, pg_url, tmp_path / "home"),
            collecting(bus, s.job_events(tenant, job)) as col,
        ):
            await bus.publish_job(tenant, job, ticket)

            async def ended() -> bool:
                return any(sj.endswith((".job.failed", ".pr.opened")) for sj, _ in col.items)

            await eventually(ended, timeout=60)
    events = [sj.split(".", 4)[4] for sj, _ in col.items]
    assert events[:2] == ["ticket.submitted", "ticket.accepted"]
    assert events[-1] == "job.failed", events
    assert not [e for e in events if e.startswith(("ticket.planned", "plan.", "task."))]
    # The one step: the platform preparing the repository's environment for the lead's commands.
    steps = {b["step_id"] for sj, b in col.items if ".step." in sj}
    assert steps == {"lead-a1-env"}, steps
    failed = next(b for sj, b in col.items if sj.endswith(".job.failed"))
    assert failed["service"] == "lead"
    assert "this conversation was not recorded" in failed["reason"]
    assert "set DEVFORGE_MODEL_BASE_URL to an OpenAI-compatible endpoint" in failed["reason"]
    turns = [b for sj, b in col.items if sj.endswith(".model.turn")]
    assert turns == []  # the one call the lead made was refused: nothing was answered
