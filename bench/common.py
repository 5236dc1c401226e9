"""Shared benchmark helpers: medians, machine facts, a throwaway stack."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from shared.bus.client import Bus
from shared.bus.topology import declare
from shared.db.migrate import upgrade
from shared.db.pool import create_pool
from shared.embedded import servers

ROOT = Path(__file__).resolve().parents[1]


def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "processor": platform.machine(),
    }


def commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # The benchmarks' own output (results, the page) does not make the code dirty.
            [
                "git",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!bench/results",
                ":!docs/benchmarks.md",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def devforge(
    *args: str, home: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> str:
    full_env = {**os.environ, "DEVFORGE_HOME": str(home), **(env or {})}
    full_env.pop("DEVFORGE_NATS_URL", None)
    full_env.pop("DEVFORGE_DATABASE_URL", None)
    res = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=ROOT,
    )
    if res.returncode != 0:
        raise RuntimeError(f"devforge {' '.join(args)} failed: {res.stderr.strip()[-500:]}")
    return res.stdout


@contextmanager
def stack(
    scale: dict[str, int] | None = None, home: Path | None = None
) -> Iterator[dict[str, Any]]:
    """A detached stack in a fresh (or given) home, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="dfb-") as tmp:
        h = home or Path(tmp)
        args = ["up", "--detach"]
        for k, v in (scale or {}).items():
            args += ["--scale", f"{k}={v}"]
        devforge(*args, home=h)
        try:
            yield json.loads((h / "stack.json").read_text()) | {"home": str(h)}
        finally:
            devforge("down", home=h)


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@dataclass
class Servers:
    """A bare bus and database (no services) for benchmarks that start their own processes."""

    bus: Bus
    pool: Any
    env: dict[str, str]


@asynccontextmanager
async def bus_and_db(**env_extra: str) -> AsyncIterator[Servers]:
    with tempfile.TemporaryDirectory(prefix="dfb-") as tmp:
        root = Path(tmp)
        nats = servers.start_nats(root / "nats", servers.plain_config(root / "js"))
        pg = servers.start_postgres(root / "pg")
        try:
            upgrade(pg)
            bus = await Bus.connect(nats.url)
            await declare(bus.js, max_deliver=5, ack_wait=30)
            pool = await create_pool(pg)
            env = {
                "PATH": os.environ.get("PATH", ""),
                "DEVFORGE_NATS_URL": nats.url,
                "DEVFORGE_DATABASE_URL": pg,
                "DEVFORGE_HOME": str(root / "home"),
                "DEVFORGE_LOG_LEVEL": "warning",
                **env_extra,
            }
            try:
                yield Servers(bus, pool, env)
            finally:
                await pool.close()
                await bus.close()
        finally:
            nats.stop()
            servers.stop_postgres(root / "pg")


def _log_sink(env: dict[str, str]) -> Any:
    """Where bench service logs go: a file named by DEVFORGE_BENCH_LOG, or nowhere."""
    path = env.get("DEVFORGE_BENCH_LOG") or os.environ.get("DEVFORGE_BENCH_LOG")
    return open(path, "a") if path else subprocess.DEVNULL


@asynccontextmanager
async def service_processes(
    module: str, name: str, env: dict[str, str], n: int
) -> AsyncIterator[None]:
    """``n`` processes of one service, ready (their ready files written) when entered."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=_log_sink(env), stderr=_log_sink(env)
        )
        for _ in range(n)
    ]
    try:
        ready = Path(env["DEVFORGE_HOME"]) / "run" / "ready"
        while not ready.exists() or len(list(ready.glob(f"{name}.*"))) < n:
            await asyncio.sleep(0.05)
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
