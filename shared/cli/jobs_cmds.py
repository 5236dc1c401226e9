"""``devforge ticket submit`` and ``devforge jobs``: put work on the bus and read the result."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from typing import Any

import typer
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from rich.console import Console
from rich.text import Text

from shared import inputs, jobs, jobstate
from shared import subjects as s
from shared.cli import narrate
from shared.cli.context import Conn, NotFound, require_repo, require_tenant, run
from shared.cli.tables import id_column, new_table, printed_as_json_or_none, short_when, words
from shared.ids import check_job_id, new_job_id
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
        await require_repo(c, tenant, repo)  # the tenant first, then the repository
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
        await require_tenant(c, tenant)
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
    what = f"{status} jobs" if status else "jobs"
    if printed_as_json_or_none(rows, as_json, f"no {what} for tenant {tenant}"):
        return
    table = new_table()
    id_column(table, "job")
    table.add_column("status", overflow="fold")
    table.add_column("repo", overflow="fold", min_width=9)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("updated", no_wrap=True)
    for r in rows:
        table.add_row(
            r["id"], words(r["status"]), r["repo_id"], r["title"], short_when(r["updated_at"])
        )
    out.print(table)


@jobs_app.command("show")
def jobs_show(
    job_id: str,
    tenant: str = TenantOpt,
    as_json: bool = typer.Option(
        False, "--json", help="JSON (the default when the output is not a terminal)"
    ),
) -> None:
    """A job's status and its events: a summary on a terminal, JSON (with top-level
    ``status`` and ``failure_reason``) when piped or with --json."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> dict[str, Any]:
        job = await _job(c, tenant, job_id)
        events = await c.pool.fetch(
            "SELECT stream_seq, event, body, applied FROM job_events "
            "WHERE tenant_id = $1 AND job_id = $2 ORDER BY stream_seq",
            tenant,
            job_id,
        )
        return {**dict(job), "events": [dict(e) for e in events]}

    shown = run(go)
    if as_json or not sys.stdout.isatty():
        typer.echo(json.dumps(shown, default=str, indent=2))
        return
    reason = f" — {shown['failure_reason']}" if shown.get("failure_reason") else ""
    out.print(Text(str(shown["title"]), style="bold"), highlight=False)
    out.print(
        f"job {job_id} of {tenant}/{shown['repo_id']}: [bold]{shown['status']}[/bold]{reason}",
        highlight=False,
    )
    for e in shown["events"]:
        body = e["body"] if isinstance(e["body"], dict) else json.loads(e["body"] or "{}")
        text = narrate.line(e["event"], body, tenant=tenant)
        if text:
            out.print(f"[dim]{e['stream_seq']:>6}[/dim] {text}", highlight=False)
    out.print(
        f"[dim]follow it: devforge jobs tail {job_id} --tenant {tenant}; "
        "every event as JSON: --json[/dim]",
        highlight=False,
    )


@jobs_app.command("cancel")
def cancel(
    job_id: str, tenant: str = TenantOpt, reason: str = typer.Option("", "--reason")
) -> None:
    """Cancel a job: its agents stop and its sandbox processes are killed."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> None:
        await require_tenant(c, tenant)
        by = f"operator:{getpass.getuser()}"
        await jobs.cancel(c.pool, c.bus, tenant, job_id, by=by, reason=reason)

    run(go)
    out.print(f"cancelled {job_id}")


@jobs_app.command("retry")
def retry(job_id: str, tenant: str = TenantOpt) -> None:
    """Submit a failed or cancelled job's ticket again, as a new job; prints its id."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> str:
        await require_tenant(c, tenant)
        return await jobs.retry(c.pool, c.bus, tenant, job_id)

    typer.echo(run(go))


@jobs_app.command("tail")
def tail(
    job_id: str,
    tenant: str = TenantOpt,
    after: int = typer.Option(0, "--after", help="resume after this stream sequence"),
    as_json: bool = typer.Option(False, "--json", help="raw events, one JSON line each"),
) -> None:
    """Follow a job live until it ends; resumable with --after SEQ (each line shows its SEQ).
    Exits 0 when the job ends with a pull request, 1 when it fails, is rejected or cancelled."""
    tenant = tenant or get_settings().tenant
    check_job_id(job_id)

    async def go(c: Conn) -> tuple[str, str]:
        """(how it ended: "ok" or a status, the reason)."""
        await require_tenant(c, tenant)
        row = await c.pool.fetchrow(
            "SELECT status, failure_reason FROM jobs WHERE id = $1 AND tenant_id = $2",
            job_id,
            tenant,
        )
        if row is None and not await _in_stream(c, tenant, job_id):
            raise NotFound(
                f"no job {job_id} for tenant {tenant!r} "
                f"(`devforge jobs list --tenant {tenant}` shows its jobs)"
            )
        ended = row is not None and jobstate.is_terminal(row["status"])
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
                try:
                    # A job that has already ended gets no more events: once the replay goes
                    # quiet (--after past its end, or events aged out) its status answers.
                    seq, event, body = await asyncio.wait_for(
                        queue.get(), IDLE_AFTER_END if ended else None
                    )
                except TimeoutError:
                    assert row is not None
                    status = str(row["status"])
                    ok = status == jobstate.Status.COMPLETED
                    return ("ok" if ok else status), str(row["failure_reason"] or "")
                if as_json:
                    typer.echo(json.dumps({"seq": seq, "event": event, "body": body}))
                else:
                    text = narrate.line(event, body, tenant=tenant)
                    if text:
                        out.print(f"[dim]{seq:>6}[/dim] {text}", soft_wrap=True)
                if jobstate.ends_job(event):
                    return ending(event, body)
        finally:
            await sub.unsubscribe()

    how, reason = run(go)
    if how != "ok":
        reason = " ".join(reason.split())  # one line, whatever the service wrote
        typer.echo(f"devforge: job {job_id} {how}" + (f": {reason}" if reason else ""), err=True)
        raise typer.Exit(1)


IDLE_AFTER_END = 3.0
"""Seconds without an event after which tail of a job already ended stops."""


ENDED_AS = {
    "job.failed": "failed",
    "job.cancelled": "cancelled",
    "ticket.rejected": "rejected",
    "plan.denied": "rejected (plan denied)",
}


def ending(event: str, body: dict[str, Any]) -> tuple[str, str]:
    """("ok", "") for a job that ended with its pull request, else (its status, the reason)."""
    if event == "pr.opened":
        return "ok", ""
    status = ENDED_AS.get(event, event)
    reasons = body.get("reasons")
    reason = body.get("reason") or ("; ".join(reasons) if isinstance(reasons, list) else "")
    if event == "job.cancelled" and not reason:
        reason = f"by {body.get('by')}"
    return status, str(reason or "")


async def _job(c: Conn, tenant: str, job_id: str) -> Any:
    await require_tenant(c, tenant)
    job = await c.pool.fetchrow(
        "SELECT * FROM jobs WHERE id = $1 AND tenant_id = $2", job_id, tenant
    )
    if job is None:
        raise NotFound(
            f"no job {job_id} for tenant {tenant!r} "
            f"(`devforge jobs list --tenant {tenant}` shows its jobs)"
        )
    return job


async def _in_stream(c: Conn, tenant: str, job_id: str) -> bool:
    """Whether the jobs stream holds any event of the job (submitted, not yet projected)."""
    try:
        info = await c.bus.js.stream_info(
            s.JOBS_STREAM, subjects_filter=s.job_events(tenant, job_id)
        )
    except NatsError:  # not allowed to ask (a tenant's credentials): the database decides
        return False
    return bool(info.state.subjects)
