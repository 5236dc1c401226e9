"""``devforge demo``: the main job, end to end, on the embedded defaults.

Reuses a stack started by ``devforge up`` (same ``DEVFORGE_HOME``) or starts one; registers the
demo tenant and repository; submits the demo ticket; narrates the job as its events arrive;
approves the migration the way any person would (``devforge approve``: mint, then publish);
and ends with the PR, its diff stat and the test results. Exit 0 only if the PR was opened and
its tests passed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import Any

import typer
from nats.aio.msg import Msg
from rich.console import Console

from shared import ledger, registry
from shared import subjects as s
from shared.cli import narrate
from shared.cli.approval_cmds import decide_via_gateway, gateway_of, mint_as_operator
from shared.cli.context import Conn, connect
from shared.embedded import stack
from shared.embedded.stack import ROOT, Paths, StackError
from shared.forge.local import LocalForge
from shared.ids import new_job_id
from shared.messages import ApprovalGranted, TicketSubmitted
from shared.natsauth import subscribe_ordered
from shared.settings import Settings, get_settings
from shared.workspace import git

DEMO = ROOT / "demo"
TENANT, REPO = "demo", "shop"
out = Console(highlight=False)


def _demo_repo(home: Path) -> Path:
    """A git repository with the demo service, made once per data directory."""
    repo = home.resolve() / "demo-repos" / REPO
    if not (repo / ".git").exists():
        shutil.copytree(DEMO / "repo", repo, dirs_exist_ok=True)
        git(repo, "init", "--quiet", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "--quiet", "-m", "shop 1.4.0")
    return repo


async def _approve(c: Conn, job: str, request_id: str) -> str:
    """Approve as the operator would with ``devforge approve``; says how it went."""
    gw = gateway_of(c.settings)
    if gw is not None:
        await asyncio.to_thread(decide_via_gateway, gw, TENANT, request_id, True, "")
        return "through the gateway: token minted by the guard, published on approval.granted"
    reply = await mint_as_operator(c, TENANT, request_id)
    assert reply.token
    await c.bus.publish_job(TENANT, job, ApprovalGranted(request_id=request_id, token=reply.token))
    return "token minted by the guard and published on approval.granted"


async def _register(c: Conn) -> None:
    await registry.add_tenant(c.pool, c.bus, TENANT, "Demo tenant")
    repo = _demo_repo(c.settings.home)
    try:
        await registry.get_repo(c.pool, TENANT, REPO)
    except LookupError:
        await registry.add_repo(c.pool, c.bus, TENANT, REPO, f"file://{repo}", "main")


async def _follow(c: Conn, job: str, timeout: float) -> tuple[str, dict[str, Any]]:
    """Narrate the job until it ends; approve what waits for a person. (final event, body)"""
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    prefix = len(s.job_events(TENANT, job)) - 1

    async def on_msg(msg: Msg) -> None:
        await queue.put((msg.subject[prefix:], json.loads(msg.data)))

    sub = await subscribe_ordered(
        c.bus.js, s.job_events(TENANT, job), stream=s.JOBS_STREAM, cb=on_msg
    )
    deadline = time.monotonic() + timeout
    gates: dict[str, Any] = {}
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", {"reason": f"no end after {timeout:.0f} s"}
            try:
                event, body = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                continue
            text = narrate.line(event, body)
            if text:
                out.print(text)
            if event in ("plan.awaiting_approval", "step.awaiting_approval"):
                how = await _approve(c, job, body["request_id"])
                out.print(f"   [dim]$ devforge approve {body['request_id']}  ({how})[/dim]")
            if event == "qa.passed":
                gates = body
            if event in (
                "pr.opened",
                "job.failed",
                "job.cancelled",
                "ticket.rejected",
                "plan.denied",
            ):
                return event, {**body, "qa": gates}
    finally:
        await sub.unsubscribe()


async def _run(settings: Settings, timeout: float) -> int:
    async with connect(settings) as c:
        await _register(c)
        ticket = json.loads((DEMO / "ticket.json").read_text())
        job = new_job_id()
        out.print(f"[bold]DevForge demo[/bold] — job {job} on {TENANT}/{REPO}")
        gw = gateway_of(settings)
        if gw is not None:  # the dashboard, in local mode: sign in with the admin token
            out.print(f"[dim]watch it live: {gw[0]}/#/jobs/{job} (tenant {TENANT})[/dim]")
        out.print()
        await c.bus.publish_job(
            TENANT,
            job,
            TicketSubmitted(
                repo=REPO, title=ticket["title"], body=ticket["body"], submitted_by="demo"
            ),
        )
        end, body = await _follow(c, job, timeout)
        if end != "pr.opened":
            out.print(
                f"\n[red]the demo job did not open a PR[/red] ({end}: "
                f"{body.get('reason') or body.get('reasons')})"
            )
            return 1
        forge = LocalForge(settings.home, c.pool)
        stat = await forge.diff(TENANT, REPO, job, "main", stat=True)
        gates = body["qa"].get("gates", [])
        tests = next((g for g in gates if g["name"] == "tests"), None)
        out.print(f"\n[bold green]Pull request #{body['number']}[/bold green] {body['url']}")
        out.print(f"branch {body['branch']} → {body['base']}\n{stat}\n")
        for g in gates:
            out.print(
                f"  {'✓' if g['passed'] else '✗'} {g['name']}: "
                f"{(g['detail'].strip().splitlines() or [''])[-1][:100]}"
            )
        caps, spend = await ledger.budget_state(c.pool, settings, TENANT, job)
        out.print(
            f"\nModel cost: ${spend.job_usd:.4f} of the job's ${caps.job_usd:.2f} budget "
            f"(devforge cost --tenant {TENANT} --job {job})"
        )
        out.print(f"See it: devforge prs show {job} --tenant {TENANT}")
        return 0 if tests and tests["passed"] else 1


def demo(
    timeout: float = typer.Option(600, "--timeout", help="seconds the job may take"),
    keep: bool = typer.Option(False, "--keep", help="leave a stack this command started running"),
) -> None:
    """Run the main job: a ticket through the whole crew to a pull request."""
    settings = get_settings()
    paths = Paths(settings.home)
    started = False
    if stack.running_pid(paths) is None or not paths.stack_json.exists():
        if settings.nats_url or settings.database_url:
            raise StackError("devforge demo runs on the embedded stack (unset DEVFORGE_NATS_URL)")
        with out.status("starting the DevForge stack (devforge up --detach)"):
            stack.detach(settings, {}, timeout=settings.ready_timeout + 60)
        started = True
    try:
        code = asyncio.run(_run(settings, timeout))
    finally:
        if started and not keep:
            with out.status("stopping the stack this demo started"):
                stack.down(settings)
    raise typer.Exit(code)
