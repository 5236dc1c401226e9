"""The test harness: one real nats-server and one real PostgreSQL per test session (per xdist
worker), streams and durables declared once; tests isolate themselves by unique tenants."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared import natsauth
from shared.bus.client import Bus
from shared.bus.topology import declare
from shared.db.migrate import upgrade
from shared.db.pool import create_pool
from shared.embedded import servers
from shared.registry import add_tenant

MAX_DELIVER = 3
ACK_WAIT = 5.0


# Tenants whose external NATS users exist from the start (an account each; see shared.natsauth).
EXTERNAL_TENANTS = ("ext-a", "ext-b")


@pytest.fixture(scope="session")
def nats_creds(tmp_path_factory: pytest.TempPathFactory) -> natsauth.Credentials:
    creds = natsauth.Credentials.load_or_create(tmp_path_factory.mktemp("creds") / "c.json")
    for t in EXTERNAL_TENANTS:
        creds.ensure_tenant(t)
    return creds


@pytest.fixture(scope="session")
def nats_server(
    tmp_path_factory: pytest.TempPathFactory, nats_creds: natsauth.Credentials
) -> Iterator[servers.NatsProcess]:
    """The bus with the generated permissions on: every test runs under them."""
    run = tmp_path_factory.mktemp("nats")
    text = natsauth.render_config(host="127.0.0.1", port=-1, store_dir=run / "js", creds=nats_creds)
    proc = servers.start_nats(run, text, run / "nats.log")
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def nats_as(
    nats_server: servers.NatsProcess, nats_creds: natsauth.Credentials
) -> Callable[[str], str]:
    """``nats_as("guard")``: the URL of one identity (service, tenant-<slug> or operator)."""

    def url(identity: str) -> str:
        if identity.startswith("tenant-"):
            user, password = nats_creds.ensure_tenant(identity.removeprefix("tenant-"))
            return natsauth.url_with_user(nats_server.url, user, password)
        return natsauth.url_with_user(nats_server.url, identity, nats_creds.password(identity))

    return url


@pytest.fixture(scope="session")
def nats_url(nats_as: Callable[[str], str]) -> str:
    """The operator's URL (tests publish any message as the operator)."""
    return nats_as("operator")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    # Outside pytest's tmp tree: pytest resets /tmp/pytest-of-<user> to 0700 when a session (or
    # an xdist worker) starts, which would lock out PostgreSQL running as its own user.
    root = Path(tempfile.mkdtemp(prefix="dft-pg-"))
    data = root / "data"
    url = servers.start_postgres(data)
    upgrade(url)
    yield url
    servers.stop_postgres(data)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
async def topology(nats_url: str) -> None:
    bus = await Bus.connect(nats_url, name="test-operator")
    await declare(bus.js, max_deliver=MAX_DELIVER, ack_wait=ACK_WAIT)
    await bus.close()


@pytest.fixture
async def bus(nats_url: str, topology: None) -> AsyncIterator[Bus]:
    b = await Bus.connect(nats_url, name="test")
    yield b
    await b.close()


@pytest.fixture
async def pool(pg_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    p = await create_pool(pg_url, max_size=4)
    yield p
    await p.close()


@pytest.fixture
def tenant() -> str:
    return f"t-{secrets.token_hex(4)}"


@pytest.fixture
async def registered(pool: asyncpg.Pool[Any], bus: Bus, tenant: str) -> str:
    await add_tenant(pool, bus, tenant)
    await pool.execute(
        "INSERT INTO repos (tenant_id, id, url, default_branch) "
        "VALUES ($1, 'shop', 'file:///x', 'main')",
        tenant,
    )
    return tenant


@pytest.fixture
def service_env(nats_as: Callable[[str], str], pg_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a guard started as its own OS process, with the guard's identity."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONUNBUFFERED": "1",
        "DEVFORGE_NATS_URL": nats_as("guard"),
        "DEVFORGE_DATABASE_URL": pg_url,
        "DEVFORGE_HOME": str(tmp_path / "home"),
        "DEVFORGE_MAX_DELIVER": str(MAX_DELIVER),
        "DEVFORGE_RETRY_DELAY": "0.05",
    }


@pytest.fixture(scope="session")
def embedder() -> Any:
    """The embedding model, loaded once per test session (per xdist worker)."""
    from shared.index.embedder import Embedder

    model = Embedder()
    model.load()
    return model
