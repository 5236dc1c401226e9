"""The indexer service on the real bus with its own NATS identity: repo events keep the index
current, searches are answered over request/reply for the asking tenant only, and the agents'
``search_code`` tool and the CLI use that endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from nacl.signing import SigningKey
from typer.testing import CliRunner

from services.indexer.app import build as build_indexer
from shared.bus.client import Bus
from shared.cli.main import app as cli
from shared.crew import codesearch
from shared.crew.toolbox import Toolbox
from shared.decisions import Signer, Verifier
from shared.index.embedder import Embedder
from shared.messages import RepoPushed
from shared.policy.tool_calls import assess_tool_call
from shared.registry import add_repo, add_tenant
from shared.service import Service
from shared.settings import get_settings
from tests.support.gitrepo import SHOP, GitRepo
from tests.support.running import eventually, running, settings


@pytest.fixture
async def indexer(
    nats_as: Callable[[str], str], pg_url: str, tmp_path: Path, topology: None, embedder: Embedder
) -> AsyncIterator[Service]:
    svc = build_indexer()
    svc.settings = settings(nats_as("indexer"), pg_url, tmp_path / "home")
    async with running(svc):
        yield svc


@pytest.fixture
async def lead(nats_as: Callable[[str], str]) -> AsyncIterator[Bus]:
    b = await Bus.connect(nats_as("lead"), name="test-lead")
    yield b
    await b.close()


async def _state(pool: asyncpg.Pool[Any], tenant: str) -> str | None:
    v = await pool.fetchval(
        "SELECT commit FROM code_index_state WHERE tenant_id = $1 AND repo_id = 'shop'", tenant
    )
    return str(v) if v else None


async def test_repo_events_index_and_search_answers_per_tenant(
    indexer: Service,
    bus: Bus,
    lead: Bus,
    pool: asyncpg.Pool[Any],
    tenant: str,
    tmp_path: Path,
) -> None:
    repo = GitRepo(tmp_path / "shop")
    repo.write(SHOP)
    first = repo.commit()
    await add_tenant(pool, bus, tenant)
    await add_repo(pool, bus, tenant, "shop", f"file://{repo.path}", "main")  # repo.connected
    await eventually(lambda: _is(pool, tenant, first), timeout=60)

    reply = await lead.search(tenant, "email the customer a receipt for the order", k=3)
    assert reply.error is None
    assert reply.hits[0].path == "shop/mail.py" and reply.hits[0].symbol == "send_receipt"
    assert "def send_receipt" in reply.hits[0].text

    repo.delete("shop/mail.py")
    second = repo.commit("drop mail")
    await bus.publish_repo(
        tenant, "shop", "pushed", RepoPushed(repo_id="shop", commit=second, ref="refs/heads/main")
    )
    await eventually(lambda: _is(pool, tenant, second), timeout=60)
    reply = await lead.search(tenant, "email the customer a receipt for the order", k=5)
    assert all(h.path != "shop/mail.py" for h in reply.hits)

    other = f"{tenant}-x"
    await add_tenant(pool, bus, other)
    assert (await lead.search(other, "shopping cart total", k=5)).hits == []
    unknown = await lead.search("nobody-here", "cart", k=5)
    assert unknown.hits == [] and "not in the registry" in (unknown.error or "")


async def _is(pool: asyncpg.Pool[Any], tenant: str, commit: str) -> bool:
    return await _state(pool, tenant) == commit


async def test_search_code_tool_for_the_agents(
    indexer: Service, bus: Bus, lead: Bus, pool: asyncpg.Pool[Any], tenant: str, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "shop")
    repo.write(SHOP)
    head = repo.commit()
    await add_tenant(pool, bus, tenant)
    await add_repo(pool, bus, tenant, "shop", f"file://{repo.path}", "main")
    await eventually(lambda: _is(pool, tenant, head), timeout=60)

    args = {"query": "turn a title into a url fragment", "k": 2}
    assert assess_tool_call("search_code", args).verdict == "allow"
    signer = Signer(SigningKey.generate())
    verifier, job = Verifier([signer.public_key]), (tenant, "j1")

    def decision(arguments: dict[str, Any], step: str = "s1") -> dict[str, str]:
        sig = signer.sign(tenant, "j1", step, "search_code", arguments)
        return {
            "tenant": tenant,
            "job_id": "j1",
            "step_id": step,
            "signature": sig.signature,
            "key_id": sig.key_id,
            "args_sha256": sig.args_sha256,
        }

    box = Toolbox({}, {}, codesearch.searcher(lead, tenant, "shop"), verifier, job)
    ok, text = await box.execute("search_code", args, decision(args))
    assert ok
    assert text.splitlines()[0].startswith("shop/slug.py:1-3 slugify (score ")
    assert "def slugify" in text
    # Only a signed decision for exactly this call runs it, as in the MCP servers.
    for forged in ({}, decision({**args, "k": 20}), {**decision(args), "job_id": "j2"}):
        ok, said = await box.execute("search_code", args, forged)
        assert not ok and said.startswith("refused:"), said
    missing = Toolbox({}, {}, codesearch.searcher(lead, tenant, "no-such-repo"), verifier, job)
    assert await missing.execute("search_code", args, decision(args)) == (
        True,
        "no matching code in the index",
    )


async def test_cli_index_and_search(
    indexer: Service,
    bus: Bus,
    pool: asyncpg.Pool[Any],
    tenant: str,
    tmp_path: Path,
    nats_url: str,
    pg_url: str,
) -> None:
    repo = GitRepo(tmp_path / "Web Shop")
    repo.write(SHOP)
    repo.commit()
    await add_tenant(pool, bus, tenant)
    env = {
        "DEVFORGE_NATS_URL": nats_url,
        "DEVFORGE_DATABASE_URL": pg_url,
        "DEVFORGE_HOME": str(tmp_path / "home"),
    }

    def invoke(*args: str) -> Any:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args), env=env)
        finally:
            get_settings.cache_clear()

    done = await asyncio.to_thread(invoke, "index", str(repo.path), "--tenant", tenant)
    assert done.exit_code == 0, done.output
    assert f"{tenant}/web-shop at " in done.output and "6 files, 11 chunks" in done.output
    again = await asyncio.to_thread(invoke, "index", str(repo.path), "--tenant", tenant)
    assert "already up to date" in again.output

    code, out, err = await _devforge(
        env,
        "search",
        "--tenant",
        tenant,
        "--repo",
        "web-shop",
        "a percentage off the sum of prices",
        "-k",
        "2",
    )
    assert code == 0, err
    hits = json.loads(out)
    assert len(hits) == 2
    assert set(hits[0]) == {"repo", "path", "start_line", "end_line", "symbol", "score"}
    assert (hits[0]["path"], hits[0]["symbol"]) == ("shop/cart.py", "cart_total")

    # Errors: one readable line, non-zero exit.
    code, out, err = await _devforge(env, "index", str(tmp_path / "nowhere"), "--tenant", tenant)
    assert (code, out) == (
        1,
        "",
    ) and err == f"devforge: {tmp_path / 'nowhere'} is not a git repository\n"
    code, out, err = await _devforge(env, "search", "--tenant", "nobody-here", "cart")
    assert code == 1 and err == "devforge: tenant 'nobody-here' is not in the registry\n"
    code, out, err = await _devforge(env, "index", str(repo.path), "--tenant", "nobody-here")
    assert code == 1 and err.startswith("devforge: tenant 'nobody-here' is not registered")


async def _devforge(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.cli.main",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
