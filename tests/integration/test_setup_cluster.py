"""``devforge setup`` (what the compose setup service and the Kubernetes Job run) against a real
three-node NATS cluster: the streams come out with three replicas (R3), as the external overlay
asks with DEVFORGE_STREAM_REPLICAS=3; a single server refuses R3 and setup says so in one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import subjects as s
from shared.bus.client import Bus
from shared.bus.topology import CONSUMERS, STREAMS
from shared.embedded.stack import free_port
from tests.support.natsproc import start_nats_server, stop_nats_server


def _node(i: int, client: int, routes: list[int], store: Path) -> str:
    others = ", ".join(f'"nats://127.0.0.1:{p}"' for n, p in enumerate(routes) if n != i)
    return (
        f'server_name: "n{i}"\nlisten: "127.0.0.1:{client}"\n'
        f'jetstream {{ store_dir: "{store}" }}\n'
        f'cluster {{ name: "devforge"\n  listen: "127.0.0.1:{routes[i]}"\n  routes: [{others}] }}\n'
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    clients = [free_port("127.0.0.1") for _ in range(3)]
    routes = [free_port("127.0.0.1") for _ in range(3)]
    procs = []
    try:
        for i in range(3):
            conf = _node(i, clients[i], routes, tmp_path / f"n{i}" / "js")
            procs.append(start_nats_server(tmp_path / f"n{i}", conf)[0])
        yield f"nats://127.0.0.1:{clients[0]}"
    finally:
        for p in procs:
            stop_nats_server(p)


def _setup(
    nats_url: str, pg_url: str, replicas: int, wait: float
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVFORGE_")}
    env |= {
        "DEVFORGE_NATS_URL": nats_url,
        "DEVFORGE_DATABASE_URL": pg_url,
        "DEVFORGE_STREAM_REPLICAS": str(replicas),
    }
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "setup", "--wait", str(wait)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


async def test_setup_declares_r3_streams_on_a_three_node_cluster(cluster: str, pg_url: str) -> None:
    done = await asyncio.to_thread(_setup, cluster, pg_url, 3, 90)
    assert done.returncode == 0, done.stderr
    assert "streams ready (replicas 3)" in done.stdout
    bus = await Bus.connect(cluster, name="test-r3")
    try:
        for spec in STREAMS:
            info = await bus.js.stream_info(spec.name)
            assert info.config.num_replicas == 3
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2
        qa = await bus.js.consumer_info(s.JOBS_STREAM, CONSUMERS["qa"].durable)
        assert qa.cluster is not None and len(qa.cluster.replicas or []) == 2
    finally:
        await bus.close()
    again = await asyncio.to_thread(_setup, cluster, pg_url, 3, 30)
    assert again.returncode == 0 and "created" not in again.stdout  # idempotent


async def test_setup_refuses_r3_on_one_server_in_one_line(tmp_path: Path, pg_url: str) -> None:
    proc, url = start_nats_server(tmp_path / "one")
    try:
        done = await asyncio.to_thread(_setup, url, pg_url, 3, 2)
    finally:
        stop_nats_server(proc)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("devforge setup: cannot declare the streams")
