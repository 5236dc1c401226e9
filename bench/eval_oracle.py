"""The project's task set (``bench/eval``) through the whole platform with the oracle model:
the platform's own ceiling, resolved or not per task, each unresolved task with the class of
what stopped it. ``devforge eval`` starts and stops its own stack; 2 tasks at a time.

The repositories are built from ``bench/eval/repos`` first (deterministic commit ids, checked
against the tasks file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT

TASKS = ROOT / "bench" / "eval" / "tasks.jsonl"
REAL_TASKS = ROOT / "bench" / "eval" / "real_tasks.jsonl"  # a real project's own fixing commits


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dfb-eval-") as tmp:
        root = Path(tmp)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "eval" / "build_repos.py"), str(root / "repos")],
            check=True,
            capture_output=True,
        )
        out = root / "out.jsonl"
        tasks = root / "tasks.jsonl"
        tasks.write_text(TASKS.read_text() + REAL_TASKS.read_text())
        real = {json.loads(line)["instance_id"] for line in REAL_TASKS.read_text().splitlines()}
        started = time.monotonic()
        args = ["eval", str(tasks), "--repos", str(root / "repos"), "--model", "oracle"]
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "shared.cli.main",
                *args,
                "--out",
                str(out),
                "--concurrency",
                "2",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "DEVFORGE_HOME": str(root / "home")},
            timeout=3600,
        )
        wall = time.monotonic() - started
        if not out.exists():
            raise RuntimeError(f"devforge eval wrote no results: {res.stderr[-800:]}")
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        report = json.loads(out.with_suffix(".report.json").read_text())
    per_task = {
        r["instance_id"]: (
            "resolved"
            if r.get("resolved")
            else f"error: {r['error']}"
            if r.get("error")
            else f"{r.get('failure_class')}: {str(r.get('failure_reason', ''))[:120]}"
        )
        for r in sorted(rows, key=lambda r: r["instance_id"])
    }
    return {
        "notes": (
            "`devforge eval --model oracle --concurrency 2` on bench/eval/tasks.jsonl (13 "
            "tasks, 3 repositories written for DevForge) and bench/eval/real_tasks.jsonl (4 "
            "tasks from humanize's own fixing commits, its real history; see "
            "bench/eval/PROVENANCE.md), each in its repository's own environment. The oracle "
            "applies each gold patch, then the tests "
            "that came with it, through the engineers' real tools, so every unresolved task is "
            "a platform failure; its class says which part stopped it (the judge puts the test "
            "files back to the base commit before applying test_patch, as SWE-bench's harness "
            "does). QA judges the change: diff coverage, semgrep on changed lines, failures "
            "checked against the base. Wall time includes the stack's start and stop."
        ),
        "tasks": report["total_instances"],
        "resolved": report["resolved_instances"],
        "resolved_pct": round(100 * report["resolved_instances"] / report["total_instances"], 1),
        "real_tasks": len(real),
        "real_resolved": sum(1 for r in rows if r["instance_id"] in real and r.get("resolved")),
        "unresolved": report["unresolved_instances"],
        "errors": report["error_instances"],
        "failure_classes": report["failure_classes"],
        "wall_s": round(wall, 1),
        "median_task_s": sorted(r.get("wall_s", 0) for r in rows)[len(rows) // 2],
        "per_task": per_task,
    }
