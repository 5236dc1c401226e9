"""`devforge up --detach` / `down` start and stop the whole embedded stack; a second `up` reuses
the data directory, so jobs survive a restart (acceptance of the foundation issue)."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from shared.embedded.stack import SERVICES
from tests.support.crew import DEMO_TICKET, demo_repo

pytestmark = pytest.mark.slow
IDENTITY = {spec.name: spec.identity for spec in SERVICES}


def devforge(home: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVFORGE_")}
    env["DEVFORGE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 0, res.stderr
    return res.stdout


def _wait_status(home: Path, job: str, want: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        res = devforge(home, "jobs", "show", job, "--tenant", "acme")
        if res.returncode == 0:
            data: dict[str, object] = json.loads(res.stdout)
            if data["status"] == want:
                return data
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job} not {want}: {res.stdout or res.stderr}")
        time.sleep(0.3)


def _wait_search(home: Path, query: str, timeout: float = 180) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        res = devforge(home, "search", "--tenant", "acme", "--repo", "shop", query, "-k", "1")
        if res.returncode == 0 and json.loads(res.stdout):
            hits: list[dict[str, object]] = json.loads(res.stdout)
            return hits
        if time.monotonic() > deadline:
            raise AssertionError(f"no search hits: {res.stdout or res.stderr}")
        time.sleep(1)


@pytest.fixture
def home() -> Iterator[Path]:
    """A data directory outside pytest's 0700 tree (see conftest); whatever happens in the
    test, no stack is left running from it."""
    path = Path(tempfile.mkdtemp(prefix="dft-home-"))
    yield path
    devforge(path, "down")
    shutil.rmtree(path, ignore_errors=True)


def test_up_down_and_restart_keeps_jobs(tmp_path: Path, home: Path) -> None:
    repo = tmp_path / "shop"
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)
    (repo / "refunds.py").write_text(
        'def refund_amount(paid: int, returned: int) -> int:\n    """Money back."""\n'
        "    return paid * returned\n"
    )
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.email=a@b",
            "-c",
            "user.name=a",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
        check=True,
    )

    ok(devforge(home, "up", "--detach", "--scale", "guard=2"))
    info = json.loads((home / "stack.json").read_text())
    assert stat.S_IMODE((home / "stack.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "admin-token").stat().st_mode) == 0o600
    assert info["nats_url"].startswith("nats://operator:")
    with urllib.request.urlopen(info["gateway_url"] + "/readyz", timeout=5) as r:
        assert json.loads(r.read())["ready"] is True
    # Every service connects as its own NATS identity (never the operator).
    conf = configparser.RawConfigParser()
    conf.read(home / "run" / "supervisord.conf")
    for section in (x for x in conf.sections() if x.startswith("program:")):
        env = dict(
            kv.split("=", 1)
            for kv in re.findall(r'(\w+="[^"]*")', conf.get(section, "environment"))
        )
        name = section.removeprefix("program:")
        if name == "model-server":  # the replay model server does not use the bus at all
            assert "DEVFORGE_NATS_URL" not in env
            continue
        user = env["DEVFORGE_NATS_URL"].strip('"').split("//", 1)[1].split(":", 1)[0]
        assert user == IDENTITY[name], (section, user)
    up = psutil.Process(int((home / "run" / "up.pid").read_text()))
    guards = [p for p in up.children(recursive=True) if "services.guard" in p.cmdline()]
    assert len(guards) == 2

    ok(devforge(home, "tenants", "add", "acme"))
    ok(devforge(home, "repos", "add", str(repo), "--tenant", "acme", "--name", "shop"))
    repos = json.loads(ok(devforge(home, "repos", "list", "--tenant", "acme", "--json")))
    assert repos[0]["default_branch"] == "trunk"
    # The embedded replay model answers only the demo's conversation: the demo's ticket on the
    # demo's repository.
    demo = demo_repo(tmp_path / "demo-shop")
    ok(devforge(home, "repos", "add", str(demo), "--tenant", "acme", "--name", "demo-shop"))
    ticket = ["--title", DEMO_TICKET["title"], "--body", DEMO_TICKET["body"]]
    job = ok(
        devforge(home, "ticket", "submit", "--tenant", "acme", "--repo", "demo-shop", *ticket)
    ).strip()
    # The lead's plan holds a migration: it waits.
    _wait_status(home, job, "awaiting_plan_approval", timeout=120)
    # Every service process serves /metrics on a port of its own, announced under run/metrics/;
    # the lead's shows the model calls it made for the plan.
    announced: dict[str, list[str]] = {}
    for f in (home / "run" / "metrics").iterdir():
        announced.setdefault(f.name.rsplit(".", 1)[0], []).append(f.read_text().strip())
    assert set(announced) == set(IDENTITY) and len(announced["guard"]) == 2
    urls = [u for us in announced.values() for u in us]
    assert len(set(urls)) == len(urls)
    for name, (url, *_) in announced.items():
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
        assert "# TYPE devforge_messages_published_total counter" in text, name
        if name == "lead":
            calls = re.findall(
                r'^devforge_model_calls_total\{[^}]*outcome="ok"[^}]*\} (\S+)$', text, re.M
            )
            assert calls and float(calls[0]) >= 1, text
    # The indexer took repo.connected: the repository is searchable through it.
    hits = _wait_search(home, "how much money a customer gets back")
    assert (hits[0]["path"], hits[0]["symbol"]) == ("refunds.py", "refund_amount")

    ok(devforge(home, "down"))
    assert not (home / "stack.json").exists()
    assert not any(g.is_running() for g in guards)
    assert not up.is_running()

    ok(devforge(home, "up", "--detach"))
    try:
        shown = _wait_status(home, job, "awaiting_plan_approval")
        events = [e["event"] for e in shown["events"]]  # type: ignore[attr-defined]
        assert events[:2] == ["ticket.submitted", "ticket.accepted"]
        assert events[-1] == "plan.awaiting_approval"
        pending = json.loads(ok(devforge(home, "approvals", "list", "--tenant", "acme", "--json")))
        assert [p["job_id"] for p in pending] == [job]
        ok(devforge(home, "jobs", "cancel", job, "--tenant", "acme"))
        _wait_status(home, job, "cancelled")
        bad = devforge(
            home, "ticket", "submit", "--tenant", "acme", "--repo", "nope", "--title", "x"
        )
        assert bad.returncode == 1
        assert bad.stderr.count("\n") == 1 and "repository 'nope' is not registered" in bad.stderr
    finally:
        ok(devforge(home, "down"))
