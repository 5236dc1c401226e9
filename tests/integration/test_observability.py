"""One demo job, watched the way an operator would: its trace arrives at a local OTLP receiver
(standing in for Langfuse) as one tree with no secret in it, and every metric series the README
documents is served, the ones a job moves having moved.

The job runs on the real bus and database with the crew in this process (its /metrics served
over HTTP) and the gateway as its own process (the ticket goes in over its API, a client follows
the job's events), models replayed by the replay server.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import string
import subprocess
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared import registry
from shared import subjects as s
from shared.bus.client import Bus
from shared.db.pool import create_pool
from shared.messages import ApprovalGranted
from shared.observe import metrics
from shared.observe.tracing import root_span_id, trace_id
from tests.support import gateway as gw
from tests.support.approve import operator_token
from tests.support.crew import DEMO_TICKET, crew, demo_repo, replay_server
from tests.support.otlp import otlp_receiver
from tests.support.running import collecting, eventually

ROOT = Path(__file__).resolve().parents[2]
Scrape = dict[str, dict[tuple[tuple[str, str], ...], float]]


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


TRANSCRIPTS = Path(__file__).parents[1] / "data" / "transcripts"
AWS_KEY = "AKIA" + _random(string.ascii_uppercase + string.digits, 16)
MODEL_KEY = "sk-or-v1-" + _random("0123456789abcdef", 64)


def documented_series() -> list[tuple[str, str, bool]]:
    """(series, type, moved by a demo job) from the README's metrics table."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Metrics") :]
    section = section[: section.index("\n## ")]
    rows = re.findall(
        r"^\| `(devforge_[a-z_]+)` \| (counter|gauge|histogram) \|[^|]*\| (yes|no) \|",
        section,
        re.M,
    )
    assert len(rows) >= 10, "the README's metrics table was not found"
    return [(name, kind, moved == "yes") for name, kind, moved in rows]


def scrape(url: str) -> Scrape:
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode()
    out: Scrape = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            out.setdefault(sample.name, {})[labels] = sample.value
    return out


def _sample(series: str, kind: str) -> str:
    return f"{series}_count" if kind == "histogram" else series


def _total(scraped: Scrape, name: str) -> float:
    return sum(scraped.get(name, {}).values())


def _repo_with_a_key(where: Path) -> Path:
    """The demo repository with a credential the lead reads: it must reach no span."""
    repo = demo_repo(where)
    shop = repo / "shop.py"
    shop.write_text(shop.read_text() + f'\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"  # ops\n')
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "ops key"], check=True)
    return repo


@pytest.fixture(scope="module")
async def demo(
    nats_as: Callable[[str], str],
    pg_url: str,
    topology: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("observe")
    pool: asyncpg.Pool[Any] = await create_pool(pg_url, max_size=2)
    bus = await Bus.connect(nats_as("operator"), name="test")
    tenant = f"t-{secrets.token_hex(4)}"
    await registry.add_tenant(pool, bus, tenant)
    repo = _repo_with_a_key(home / "src")
    await registry.add_repo(pool, bus, tenant, "shop", f"file://{repo}", "main")
    admin = secrets.token_urlsafe(24)
    gw_metrics = gw.free_port()
    old_key = os.environ.get("DEVFORGE_MODEL_API_KEY")
    os.environ["DEVFORGE_MODEL_API_KEY"] = MODEL_KEY
    out: dict[str, Any] = {"tenant": tenant}
    try:
        # Its own recording ("observe": the demo's scripts on the repository with a key), priced
        # as a hosted provider's answers would be, so that the cost series move.
        with otlp_receiver() as receiver, replay_server(TRANSCRIPTS, priced=True):
            tracing = {
                "langfuse_host": receiver.url,
                "langfuse_public_key": receiver.public_key,
                "langfuse_secret_key": receiver.secret_key,
            }
            env = {
                **gw.base_env(home, pg_url),
                "DEVFORGE_NATS_URL": nats_as("gateway"),
                "DEVFORGE_ADMIN_TOKEN": admin,
                "DEVFORGE_METRICS_PORT": str(gw_metrics),
                "DEVFORGE_LANGFUSE_HOST": receiver.url,
                "DEVFORGE_LANGFUSE_PUBLIC_KEY": receiver.public_key,
                "DEVFORGE_LANGFUSE_SECRET_KEY": receiver.secret_key,
                "DEVFORGE_LANGFUSE_PROJECT_ID": "proj-1",
            }
            with gw.gateway(env, home / "gateway.log") as url:
                async with crew(
                    nats_as,
                    pg_url,
                    home,
                    transcript="observe",
                    gates="tests,coverage",
                    metrics_port=0,
                    **tracing,
                ):
                    served = metrics.served_url()
                    assert served is not None
                    out["before"] = scrape(served)
                    await _run_job(bus, pool, url, admin, tenant, gw_metrics, out)
                    out["after"] = scrape(served)
        out["spans"] = receiver.in_trace(f"{trace_id(out['job']):032x}")
        out["all_spans"] = receiver.spans
        out["refused"] = receiver.refused
        yield out
    finally:
        if old_key is None:
            os.environ.pop("DEVFORGE_MODEL_API_KEY", None)
        else:
            os.environ["DEVFORGE_MODEL_API_KEY"] = old_key
        await bus.close()
        await pool.close()


async def _run_job(
    bus: Bus,
    pool: asyncpg.Pool[Any],
    url: str,
    admin: str,
    tenant: str,
    gw_metrics: int,
    out: dict[str, Any],
) -> None:
    headers = {"Authorization": f"Bearer {admin}", "X-DevForge-Tenant": tenant}
    async with httpx2.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        ticket = {"repo": "shop", **DEMO_TICKET}
        resp = await client.post("/v1/jobs", json=ticket)
        assert resp.status_code == 202, resp.text
        job = resp.json()["job_id"]
        out["job"] = job
        async with collecting(bus, s.job_events(tenant, job)) as col:

            async def follow() -> int:
                frames = 0
                async with client.stream("GET", f"/v1/jobs/{job}/events") as stream:
                    assert stream.status_code == 200, await stream.aread()
                    async for line in stream.aiter_lines():
                        frames += line.startswith("event: ")
                return frames

            async def held() -> dict[str, Any] | None:
                failed = [b for j, b in col.items if j.endswith(".job.failed")]
                assert not failed, failed[0]["reason"] if failed else ""  # say why at once
                return next((b for j, b in col.items if j.endswith("plan.awaiting_approval")), None)

            request = await eventually(held, timeout=90)
            follower = asyncio.create_task(follow())  # the job is known to the gateway by now

            async def following() -> Scrape | None:
                got = await asyncio.to_thread(scrape, f"http://127.0.0.1:{gw_metrics}/metrics")
                return got if _total(got, "devforge_sse_clients") >= 1 else None

            out["gateway_following"] = await eventually(following, timeout=30)
            token = await operator_token(bus, tenant, request["request_id"])
            await bus.publish_job(
                tenant, job, ApprovalGranted(request_id=request["request_id"], token=token)
            )

            async def ended() -> str | None:
                return await pool.fetchval(
                    "SELECT status FROM jobs WHERE id = $1 AND status IN ('completed', 'failed')",
                    job,
                )

            out["status"] = await eventually(ended, timeout=240)
            out["frames"] = await asyncio.wait_for(follower, 30)
            out["events"] = [(j.rsplit(".", 2)[-2:], b) for j, b in col.items]
            detail = await client.get(f"/v1/jobs/{job}")
            out["detail"] = detail.json()


async def test_the_demo_job_completes_and_its_page_links_the_trace(demo: dict[str, Any]) -> None:
    failed = [b for (_, e), b in demo["events"] if e == "failed"]
    assert demo["status"] == "completed", failed
    assert demo["frames"] > 10  # the follower saw the job through to its end
    tid = f"{trace_id(demo['job']):032x}"
    assert demo["detail"]["trace_url"].endswith(f"/project/proj-1/traces/{tid}")
    assert demo["detail"]["cost_usd"] > 0


async def test_the_trace_is_one_tree_job_agents_calls(demo: dict[str, Any]) -> None:
    assert not demo["refused"]
    spans = demo["spans"]
    by_id = {sp.span_id: sp for sp in spans}
    roots = [sp for sp in spans if not sp.parent_id]
    assert [r.name for r in roots] == [f"job {demo['job']}"]
    root = roots[0]
    assert int(root.span_id, 16) == root_span_id(demo["job"])
    assert root.attributes["devforge.status"] == "completed"
    assert root.attributes["devforge.cost_usd"] > 0
    agents = [sp for sp in spans if sp.attributes.get("langfuse.observation.type") == "agent"]
    assert {a.attributes["devforge.agent"] for a in agents} >= {
        "lead-a1",
        "backend-t1-r1",
        "migration-t2-r1",
        "qa-r1",
    }
    assert all(a.parent_id == root.span_id for a in agents)
    kinds: dict[str, set[str]] = {}
    for sp in spans:
        if sp is root or sp in agents:
            continue
        parent = by_id[sp.parent_id]  # every other span hangs under an agent
        assert parent in agents, (sp.name, parent.name)
        kinds.setdefault(parent.attributes["devforge.agent"], set()).add(
            sp.attributes["langfuse.observation.type"]
        )
    assert kinds["lead-a1"] == {"generation", "tool"}
    assert kinds["backend-t1-r1"] == {"generation", "tool"}
    assert kinds["qa-r1"] == {"tool"}  # QA's gates run without a model
    models = [sp for sp in spans if sp.attributes.get("langfuse.observation.type") == "generation"]
    lead_calls = sorted(
        sp.attributes["devforge.turn"]
        for sp in models
        if sp.attributes["devforge.agent"] == "lead-a1"
    )
    assert lead_calls == [0, 1, 2]
    assert all(sp.attributes["gen_ai.usage.input_tokens"] > 0 for sp in models)
    assert all(sp.attributes["gen_ai.usage.cost"] > 0 for sp in models)
    reads = [sp for sp in spans if sp.name == "tool read_file"]
    assert reads and all("shop.py" in sp.attributes["langfuse.observation.input"] for sp in reads)


async def test_no_secret_reaches_any_span(demo: dict[str, Any]) -> None:
    spans = demo["all_spans"]
    assert spans
    text = repr([(sp.name, sp.attributes, sp.status_message) for sp in spans])
    assert AWS_KEY not in text and AWS_KEY[4:] not in text
    assert MODEL_KEY not in text and MODEL_KEY[9:] not in text
    # The planted key was read by a tool, and what reached the trace was the redaction.
    outputs = [
        sp.attributes.get("langfuse.observation.output", "")
        for sp in spans
        if sp.name == "tool read_file"
    ]
    assert any("[REDACTED:aws_access_key_id]" in o for o in outputs)


async def test_every_documented_series_is_served_and_moved_by_the_job(
    demo: dict[str, Any],
) -> None:
    before, after, gateway = demo["before"], demo["after"], demo["gateway_following"]
    documented = documented_series()
    served = {name for name in after} | {name for name in gateway}
    for series, kind, moved in documented:
        sample = _sample(series, kind)
        gateway_only = series.startswith("devforge_sse_")
        assert sample in (gateway if gateway_only else after), f"{sample} is not served"
        if not moved:
            continue
        if gateway_only:  # the gateway's, while a client followed
            assert _total(gateway, sample) >= 1, sample
        else:
            assert _total(after, sample) > _total(before, sample), f"{sample} did not move"
    # The gateway publishes what it takes in over HTTP.
    assert (
        gateway["devforge_messages_published_total"][
            (("event", "ticket.submitted"), ("service", "gateway"))
        ]
        == 1
    )
    names = {_sample(series, kind) for series, kind, _ in documented}
    undocumented = {
        n
        for n in served
        if n.startswith("devforge_")
        and not n.endswith(("_created", "_bucket", "_sum"))
        and n not in names
    }
    assert not undocumented, f"served but not in the README: {sorted(undocumented)}"
