"""Start-up time of ``devforge up`` and idle resident memory of the whole stack.

Baseline, measured in the same run: starting only the two servers (nats-server and PostgreSQL)
the stack needs, with no services.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.common import devforge, median
from shared.embedded import servers

RUNS = 3


def _servers_only() -> float:
    with tempfile.TemporaryDirectory(prefix="dfb-") as tmp:
        t0 = time.perf_counter()
        nats = servers.start_nats(Path(tmp) / "nats", servers.plain_config(Path(tmp) / "js"))
        servers.start_postgres(Path(tmp) / "pg")
        elapsed = time.perf_counter() - t0
        nats.stop()
        servers.stop_postgres(Path(tmp) / "pg")
        return elapsed


def _tree_rss(pid: int) -> dict[str, int]:
    """RSS per process name under ``pid`` (inclusive)."""
    out: dict[str, int] = {}
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for p in procs:
        try:
            cmd = p.cmdline()
            name = next((a for a in cmd if a.startswith("services.")), p.name())
            line = " ".join(cmd)
            if "supervisord" in line:
                name = "supervisord"
            elif "model-server" in line:
                name = "model-server (replay)"
            elif "shared.cli.main" in line:
                name = "devforge up"
            elif "services.engineers" in line:
                name = "services.engineers " + cmd[-1]
            out[name] = out.get(name, 0) + p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return out


def _postgres_rss(pg_dir: Path) -> int:
    pid = servers.postgres_pid(pg_dir)
    if pid is None:
        return 0
    return sum(_tree_rss(pid).values())


def run() -> dict[str, Any]:
    baseline = [_servers_only() for _ in range(RUNS)]
    cold, warm = [], []
    memory: dict[str, Any] = {}
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="dfb-") as tmp:
            home = Path(tmp)
            t0 = time.perf_counter()
            devforge("up", "--detach", home=home)
            cold.append(time.perf_counter() - t0)
            devforge("down", home=home)
            t0 = time.perf_counter()
            devforge("up", "--detach", home=home)
            warm.append(time.perf_counter() - t0)
            if not memory:
                time.sleep(5)
                up_pid = int((home / "run" / "up.pid").read_text())
                per = _tree_rss(up_pid)
                per["postgres"] = _postgres_rss(home / "pg")
                total = sum(per.values())
                memory = {
                    "total_mb": round(total / 2**20, 1),
                    "target_mb": 1536,
                    "per_process_mb": {k: round(v / 2**20, 1) for k, v in sorted(per.items())},
                    "servers_only_mb": round(
                        (per.get("nats-server", 0) + per["postgres"]) / 2**20, 1
                    ),
                }
            devforge("down", home=home)
    b = median(baseline)
    return {
        "startup": {
            "runs": RUNS,
            "baseline_servers_only_s": round(b, 3),
            "up_cold_s": round(median(cold), 3),
            "up_warm_s": round(median(warm), 3),
            "ratio_cold_vs_baseline": round(median(cold) / b, 2),
            "ratio_warm_vs_baseline": round(median(warm) / b, 2),
        },
        "idle_memory": memory,
    }
