"""The CLI as a newcomer meets it (issue 23), on a real stack started by ``devforge up``: every
error is one line on stderr and a non-zero exit, nothing hangs; ``dlq list`` works on a fresh
stack; ``jobs tail`` ends with the job (0 only for a pull request); ids survive 80 columns;
``prs show --patch`` is a patch ``git apply`` takes; ``prs list``."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.bus.client import Bus
from shared.ids import new_job_id
from tests.support.crew import DEMO_TICKET, demo_repo

pytestmark = pytest.mark.slow

DEVFORGE = Path(sys.executable).with_name("devforge")
TENANT = "acme"
QUICK = 60  # seconds: an error answer on two loaded cores, with the CLI's start-up
LONG = 400  # seconds: the demo job through the whole crew


def env_of(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVFORGE_")}
    env.update(DEVFORGE_HOME=str(home), COLUMNS="80", TERM="dumb")
    return env


def devforge(home: Path, *args: str, timeout: float = QUICK) -> subprocess.CompletedProcess[str]:
    """The installed ``devforge`` script; a hang fails the test (TimeoutExpired)."""
    return subprocess.run(
        [str(DEVFORGE), *args],
        env=env_of(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 0, res.stderr + res.stdout
    return res.stdout


def one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> str:
    """A non-zero exit, nothing on stdout, one line on stderr holding every needle."""
    assert res.returncode != 0, res.stdout
    assert res.stdout == "", res.stdout
    assert res.stderr.endswith("\n") and res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("devforge: "), res.stderr
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in res.stderr, (needle, res.stderr)
    return res.stderr


@pytest.fixture(scope="module")
def stack() -> Iterator[Path]:
    """A fresh stack of this module's own (outside pytest's 0700 tree, see conftest) with the
    tenant and the demo repository; always brought down."""
    home = Path(tempfile.mkdtemp(prefix="dft-cli-"))
    try:
        ok(devforge(home, "up", "--detach", timeout=600))
        yield home
    finally:
        devforge(home, "down", timeout=300)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def registered(stack: Path) -> Path:
    """The stack with the tenant and the demo repository (after the fresh-stack checks)."""
    ok(devforge(stack, "tenants", "add", TENANT))
    src = demo_repo(stack / "src" / "shop")
    ok(devforge(stack, "repos", "add", str(src), "--tenant", TENANT, "--name", "shop"))
    return stack


def test_dlq_list_on_a_fresh_stack_then_with_a_letter(stack: Path) -> None:
    res = devforge(stack, "dlq", "list")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")

    async def drop_one() -> None:
        info = json.loads((stack / "stack.json").read_text())
        bus = await Bus.connect(info["nats_url"], name="cli-test")
        try:
            await bus.dead_letter("cli-test", "devforge.x.job.y.z", b"{}", "a test letter")
        finally:
            await bus.close()

    asyncio.run(drop_one())
    letters = [json.loads(line) for line in ok(devforge(stack, "dlq", "list")).splitlines()]
    assert [(x["service"], x["reason"]) for x in letters] == [("cli-test", "a test letter")]
    one_line_error(devforge(stack, "dlq", "list", "--limit", "0"), "--limit")


def test_errors_are_one_line_and_non_zero(registered: Path) -> None:
    home, nobody, job = registered, "nosuch", new_job_id()
    unknown_tenant = f"no such tenant '{nobody}'"
    cases: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
        (("jobs", "list", "--tenant", nobody), (unknown_tenant,)),
        (("jobs", "show", job, "--tenant", nobody), (unknown_tenant,)),
        (("jobs", "show", job, "--tenant", TENANT), (f"no job {job}",)),
        (("jobs", "tail", job, "--tenant", TENANT), (f"no job {job}", "jobs list")),
        (("jobs", "tail", job, "--tenant", nobody), (unknown_tenant,)),
        (("jobs", "tail", "not-a-job", "--tenant", TENANT), ("invalid job id",)),
        (("jobs", "cancel", job, "--tenant", nobody), (unknown_tenant,)),
        (("search", "--tenant", TENANT, "--repo", nobody, "money"), (f"'{nobody}'", TENANT)),
        (("search", "--tenant", nobody, "money"), (f"tenant '{nobody}'",)),
        (
            ("ticket", "submit", "--tenant", nobody, "--repo", "shop", "--title", "x"),
            (unknown_tenant,),
        ),
        (
            ("ticket", "submit", "--tenant", TENANT, "--repo", nobody, "--title", "x"),
            (f"repository '{nobody}' is not registered for tenant '{TENANT}'",),
        ),
        (("approvals", "list", "--tenant", nobody), (unknown_tenant,)),
        (("repos", "list", "--tenant", nobody), (unknown_tenant,)),
        (("prs", "list", "--tenant", nobody), (unknown_tenant,)),
        (("prs", "show", job, "--tenant", TENANT), (f"no pull request for job {job}",)),
        (("prs", "show", job, "--tenant", TENANT, "--patch"), (f"no pull request for job {job}",)),
        (("cost", "--tenant", nobody), (unknown_tenant,)),
    ]
    for args, needles in cases:
        res = devforge(home, *args)
        err = one_line_error(res, *needles)
        if args[:2] == ("ticket", "submit") and nobody in args[3]:
            # the tenant is the problem: neither the repository is blamed nor a command
            # suggested that would then fail
            assert "repos add" not in err and "repository" not in err, err


def _spawn_tail(home: Path, job: str, *more: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [str(DEVFORGE), "jobs", "tail", job, "--tenant", TENANT, *more],
        env=env_of(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(LONG, proc.kill)  # a hang ends as a kill, and the test fails
    watchdog.daemon = True
    watchdog.start()
    return proc


def _submit(home: Path, title: str, body: str) -> str:
    args = ("ticket", "submit", "--tenant", TENANT, "--repo", "shop", "--title", title)
    return ok(devforge(home, *args, "--body", body)).strip()


def _show(home: Path, job: str) -> dict[str, Any]:
    """``jobs show`` piped: JSON with top-level status and failure_reason (scripts rely on it)."""
    data: dict[str, Any] = json.loads(ok(devforge(home, "jobs", "show", job, "--tenant", TENANT)))
    assert {"status", "failure_reason", "events"} <= set(data)
    return data


def test_the_demo_job_approved_from_the_line_tail_prints(registered: Path, tmp_path: Path) -> None:
    home = registered
    job = _submit(home, DEMO_TICKET["title"], DEMO_TICKET["body"])
    tail = _spawn_tail(home, job)
    assert tail.stdout is not None
    lines: list[str] = []
    command = None
    for line in tail.stdout:
        lines.append(line)
        if "needs a person's approval" in line:
            found = re.search(r"`(devforge approve (\S+) --tenant (\S+))`", line)
            assert found, line
            command, request = found.group(1), found.group(2)
            assert found.group(3) == TENANT and f"request {request}" in line
            break
    assert command is not None, "".join(lines) + tail.stderr.read()  # type: ignore[union-attr]

    # The request id, whole, in `approvals list` and `jobs list` in 80 columns.
    pending = ok(devforge(home, "approvals", "list", "--tenant", TENANT))
    assert request in pending and job in pending, pending
    assert max(len(x) for x in pending.splitlines()) <= 80
    listed = ok(devforge(home, "jobs", "list", "--tenant", TENANT))
    assert job in listed and max(len(x) for x in listed.splitlines()) <= 80, listed

    # The exact command the line named approves it.
    argv = shlex.split(command)
    assert argv[0] == "devforge"
    ok(devforge(home, *argv[1:], timeout=QUICK))

    rest, err = tail.communicate(timeout=LONG)
    assert tail.returncode == 0, "".join(lines) + rest + err
    assert err == "" and "pull request #" in rest
    assert _show(home, job)["status"] == "completed"
    # A tail of an ended job, resumed past its end, stops by itself: 0, the PR was opened.
    last = max(int(x.split()[0]) for x in rest.splitlines() if x.split()[:1] != [])
    again = devforge(home, "jobs", "tail", job, "--tenant", TENANT, "--after", str(last))
    assert (again.returncode, again.stderr) == (0, "")

    # prs list: the table (ids whole) and JSON.
    table = ok(devforge(home, "prs", "list", "--tenant", TENANT))
    assert job in table and max(len(x) for x in table.splitlines()) <= 80, table
    (pr,) = json.loads(ok(devforge(home, "prs", "list", "--tenant", TENANT, "--json")))
    assert pr["job_id"] == job and pr["state"] == "open" and pr["number"] >= 1
    assert pr["title"] == DEMO_TICKET["title"]

    # prs show --patch: only the raw patch on stdout, which applies to the base.
    res = devforge(home, "prs", "show", job, "--tenant", TENANT, "--patch")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    patch = tmp_path / "pr.patch"
    patch.write_text(res.stdout)
    assert res.stdout.startswith("diff --git "), res.stdout[:200]
    base = tmp_path / "base"
    subprocess.run(["git", "clone", "-q", str(home / "src" / "shop"), str(base)], check=True)
    check = subprocess.run(
        ["git", "-C", str(base), "apply", "--check", str(patch)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    # without --patch: the PR's header and its diff stat
    shown = ok(devforge(home, "prs", "show", job, "--tenant", TENANT))
    assert f"#{pr['number']}" in shown and "files changed" in shown


def test_tail_exits_non_zero_for_a_failed_and_a_cancelled_job(registered: Path) -> None:
    home = registered
    # The embedded model replays only the demo: any other ticket fails at the lead's first turn.
    failed = _submit(home, "Something the replay never recorded", "Anything at all")
    tail = _spawn_tail(home, failed)
    out, err = tail.communicate(timeout=LONG)
    assert tail.returncode == 1, out + err
    assert err.count("\n") == 1 and err.startswith(f"devforge: job {failed} failed: "), err
    assert "job failed" in out
    shown = _show(home, failed)
    assert shown["status"] == "failed" and shown["failure_reason"]

    cancelled = _submit(home, DEMO_TICKET["title"], DEMO_TICKET["body"])
    deadline = time.monotonic() + LONG
    while _show(home, cancelled)["status"] != "awaiting_plan_approval":
        assert time.monotonic() < deadline, _show(home, cancelled)["status"]
        time.sleep(1)
    ok(devforge(home, "jobs", "cancel", cancelled, "--tenant", TENANT))
    tail = _spawn_tail(home, cancelled)
    out, err = tail.communicate(timeout=LONG)
    assert tail.returncode == 1, out + err
    assert err.count("\n") == 1 and err.startswith(f"devforge: job {cancelled} cancelled"), err
    assert _show(home, cancelled)["status"] == "cancelled"
