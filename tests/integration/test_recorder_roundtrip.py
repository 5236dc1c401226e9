"""The recorder round trip on the real crew: a job replayed from transcript X (``qa-fix``: a
plan, a broken test, QA fails, a fix round, a PR) is recorded as transcript Y; a second job
replayed from Y alone ends with the same file tree on its job branch."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg

from shared import registry
from shared import subjects as s
from shared.bus.client import Bus
from shared.ids import new_job_id
from shared.messages import TicketSubmitted
from shared.models.transcripts import load_transcript
from shared.workspace import branch_of, git
from tests.support.crew import crew, demo_repo, replay_server
from tests.support.running import collecting, eventually

TRANSCRIPTS = Path(__file__).parents[1] / "data" / "transcripts"
X = "qa-fix"
Y = "qa-fix-rerecorded"


@contextmanager
def environ(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


async def _job(
    bus: Bus,
    tenant: str,
    nats_as: Any,
    pg_url: str,
    home: Path,
    transcripts: Path,
    transcript: str,
) -> tuple[str, list[str]]:
    """Run one ticket to its end; the job id and the job's event names."""
    job = new_job_id()
    ticket = TicketSubmitted(repo="shop", title="Add /health", body="...", submitted_by="ann")
    with replay_server(transcripts):
        async with (
            crew(nats_as, pg_url, home, transcript=transcript, gates="tests"),
            collecting(bus, s.job_events(tenant, job)) as col,
        ):
            await bus.publish_job(tenant, job, ticket)

            async def ended() -> bool:
                return any(sj.endswith((".pr.opened", ".job.failed")) for sj, _ in col.items)

            await eventually(ended, timeout=60)
    names = [sj.split(".", 4)[4] for sj, _ in col.items]
    failed = [b for sj, b in col.items if sj.endswith(".job.failed")]
    assert names[-1] == "pr.opened", failed
    assert names.count("qa.failed") == 1 and names.count("qa.passed") == 1, names
    return job, names


def _said(path: Path) -> list[tuple[str | None, list[tuple[str, Any]]]]:
    """What each turn of a transcript says: its text and its tool calls (name, parsed args)."""
    out = []
    for turn in load_transcript(path).turns:
        msg = turn.message or {}
        calls = [
            (c["function"]["name"], json.loads(c["function"]["arguments"]))
            for c in msg.get("tool_calls") or []
        ]
        out.append((msg.get("content"), calls))
    return out


async def test_a_recorded_run_replays_to_the_same_tree(
    bus: Bus, tenant: str, nats_as: Any, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    await registry.add_tenant(pool, bus, tenant)
    repo = demo_repo(tmp_path / "src")
    await registry.add_repo(pool, bus, tenant, "shop", f"file://{repo}", "main")
    home, recorded = tmp_path / "home", tmp_path / "recorded"

    with environ(DEVFORGE_MODEL_RECORD_DIR=str(recorded), DEVFORGE_MODEL_RECORD_NAME=Y):
        first, names = await _job(bus, tenant, nats_as, pg_url, home, TRANSCRIPTS, X)
    assert "DEVFORGE_MODEL_RECORD_DIR" not in os.environ

    # Y holds every agent run of X, saying what X says.
    runs = sorted(p.name for p in (TRANSCRIPTS / X).glob("*.json"))
    assert sorted(p.name for p in (recorded / Y).glob("*.json")) == runs
    for name in runs:
        assert load_transcript(recorded / Y / name).agent == name.removesuffix(".json")
        assert _said(recorded / Y / name) == _said(TRANSCRIPTS / X / name), name
    recorded_files = {p.name: p.read_bytes() for p in (recorded / Y).glob("*.json")}

    second, names2 = await _job(bus, tenant, nats_as, pg_url, home, recorded, Y)
    assert [n for n in names2 if not n.startswith(("model.", "step."))] == [
        n for n in names if not n.startswith(("model.", "step."))
    ]
    # Replaying Y did not rewrite it.
    assert {p.name: p.read_bytes() for p in (recorded / Y).glob("*.json")} == recorded_files

    remote = home.resolve() / "workspaces" / tenant / "shop.git"
    trees = [
        git(remote, "rev-parse", f"refs/heads/{branch_of(j)}^{{tree}}") for j in (first, second)
    ]
    assert trees[0] == trees[1]
    assert trees[0] != git(remote, "rev-parse", "refs/heads/main^{tree}")
    files = git(remote, "ls-tree", "-r", "--name-only", branch_of(second)).splitlines()
    assert "tests/test_health.py" in files
