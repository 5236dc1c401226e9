"""``devforge ticket submit`` and ``devforge jobs``: put work on the bus and read the result."""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import Any

import typer
from nats.aio.msg import Msg
from rich.console import Console
from rich.table import Table

from shared import inputs, jobs, registry
from shared import subjects as s
from shared.cli import narrate
from shared.cli.context import Conn, run
from shared.ids import new_job_id
from shared.messages import TicketSubmitted
from shared.natsauth import subscribe_ordered
from shared.policy.secrets import scan
from shared.settings import get_settings

ticket_app = typer.Typer(name="ticket", help="Submit tickets.", no_args_is_help=True)
jobs_app = typer.Typer(name="jobs", help="List and inspect jobs.", no_args_is_help=True)
out = Console()
TenantOpt = typer.Option(None, "--tenant", help="tenant id (default: $DEVFORGE_TENANT)")


@ticket_app.command("submit")
def submit(
    repo: str = typer.Option(..., "--repo", help="a registered repository name"),
    title: str = typer.Option(..., "--title"),
    body: str = typer.Option("", "--body"),
    tenant: str = TenantOpt,
    submitted_by: str = typer.Option("cli", "--as", help="who submits (recorded on the job)"),
) -> None:
    """Submit a ticket; prints the new job id."""
    tenant = tenant or get_settings().tenant
    wrong = inputs.problem({"title": title, "body": body, "as": submitted_by}, "ticket")
    if wrong is not None:  # no reader of the bus would take it
        raise ValueError(wrong)
    found = scan(f"{title}\n{body}")
    if found:  # refused before anything is published (the gateway answers 422 the same way)
        kinds = ", ".join(sorted({f.kind for f in found}))
        raise ValueError(f"the ticket holds a secret ({kinds}): remove it and submit again")
    msg = TicketSubmitted(repo=repo, title=title, body=body, submitted_by=submitted_by)

    async def go(c: Conn) -> str:
        await c.pool.fetchval("SELECT 1")
        await registry.get_repo(c.pool, tenant, repo)  # a clear error if not registered
        job_id = new_job_id()
        await c.bus.publish_job(tenant, job_id, msg)
        return job_id

    typer.echo(run(go))


@jobs_app.command("list")
def jobs_list(
    tenant: str = TenantOpt,
    status: str = typer.Option(None, "--status"),
    limit: int = typer.Option(20, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> list[dict[str, Any]]:
        rows = await c.pool.fetch(
            "SELECT id, repo_id, title, status, failure_reason, created_at, updated_at "
            "FROM jobs WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) "
            "ORDER BY created_at DESC LIMIT $3",
            tenant,
            status,
            limit,
        )
        return [dict(r) for r in rows]

    rows = run(go)
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    table = Table("job", "repo", "status", "title", "updated")
    for r in rows:
        table.add_row(r["id"], r["repo_id"], r["status"], r["title"], str(r["updated_at"]))
    out.print(table)


@jobs_app.command("show")
def jobs_show(job_id: str, tenant: str = TenantOpt) -> None:
    """A job's status and its event log (as JSON)."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> dict[str, Any]:
        job = await c.pool.fetchrow(
            "SELECT * FROM jobs WHERE id = $1 AND tenant_id = $2", job_id, tenant
        )
        if job is None:
            raise LookupError(f"no job {job_id} for tenant {tenant}")
        events = await c.pool.fetch(
            "SELECT stream_seq, event, body, applied FROM job_events "
            "WHERE tenant_id = $1 AND job_id = $2 ORDER BY stream_seq",
            tenant,
            job_id,
        )
        return {**dict(job), "events": [dict(e) for e in events]}

    typer.echo(json.dumps(run(go), default=str, indent=2))


@jobs_app.command("cancel")
def cancel(
    job_id: str, tenant: str = TenantOpt, reason: str = typer.Option("", "--reason")
) -> None:
    """Cancel a job: its agents stop and its sandbox processes are killed."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> None:
        by = f"operator:{getpass.getuser()}"
        await jobs.cancel(c.pool, c.bus, tenant, job_id, by=by, reason=reason)

    run(go)
    out.print(f"cancelled {job_id}")


@jobs_app.command("retry")
def retry(job_id: str, tenant: str = TenantOpt) -> None:
    """Submit a failed or cancelled job's ticket again, as a new job; prints its id."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> str:
        return await jobs.retry(c.pool, c.bus, tenant, job_id)

    typer.echo(run(go))


@jobs_app.command("tail")
def tail(
    job_id: str,
    tenant: str = TenantOpt,
    after: int = typer.Option(0, "--after", help="resume after this stream sequence"),
    as_json: bool = typer.Option(False, "--json", help="raw events, one JSON line each"),
) -> None:
    """Follow a job live until it ends; resumable with --after SEQ (each line shows its SEQ)."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> None:
        queue: asyncio.Queue[tuple[int, str, dict[str, Any]]] = asyncio.Queue()
        prefix = len(s.job_events(tenant, job_id)) - 1

        async def on_msg(msg: Msg) -> None:
            await queue.put(
                (msg.metadata.sequence.stream, msg.subject[prefix:], json.loads(msg.data))
            )

        sub = await subscribe_ordered(
            c.bus.js,
            s.job_events(tenant, job_id),
            stream=s.JOBS_STREAM,
            cb=on_msg,
            opt_start_seq=after + 1 if after else None,
        )
        try:
            while True:
                seq, event, body = await queue.get()
                if as_json:
                    typer.echo(json.dumps({"seq": seq, "event": event, "body": body}))
                else:
                    text = narrate.line(event, body)
                    if text:
                        out.print(f"[dim]{seq:>6}[/dim] {text}")
                if event in ENDINGS:
                    return
        finally:
            await sub.unsubscribe()

    run(go)


ENDINGS = ("pr.opened", "job.failed", "job.cancelled", "ticket.rejected", "plan.denied")
