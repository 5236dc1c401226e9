"""``devforge approvals`` (operator: list, break-glass mint) and ``devforge approve|refuse``.

Tokens are minted only by the guard (``devforge.rpc.guard.mint``); these commands ask it as the
operator (break-glass, audited as such) and deliver the token by publishing on the bus, like
any other client would.
"""

from __future__ import annotations

import getpass
import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from shared.approvals import ApprovalError
from shared.cli.context import Conn, run
from shared.messages import ApprovalGranted, ApprovalRefused, MintReply
from shared.settings import get_settings

approvals_app = typer.Typer(name="approvals", help="Approval requests.", no_args_is_help=True)
out = Console()
TenantOpt = typer.Option(None, "--tenant", help="tenant id (default: $DEVFORGE_TENANT)")


async def mint_as_operator(c: Conn, tenant: str, request_id: str) -> MintReply:
    try:
        reply = await c.bus.mint(
            tenant,
            request_id,
            approver=f"operator:{getpass.getuser()}",
            minted_by="operator",
            break_glass=True,
        )
    except TimeoutError:
        raise ApprovalError("the guard did not answer the mint request (is it running?)") from None
    if reply.error or not reply.token or not reply.job_id:
        raise ApprovalError(reply.error or "the guard returned no token")
    return reply


@approvals_app.command("list")
def approvals_list(
    tenant: str = TenantOpt,
    status: str = typer.Option("pending", "--status"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Approval requests of a tenant (pending by default)."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> list[dict[str, Any]]:
        rows = await c.pool.fetch(
            "SELECT request_id, job_id, kind, tool, summary, rule_ids, status, expires_at "
            "FROM approvals WHERE tenant_id = $1 AND status = $2 ORDER BY created_at",
            tenant,
            status,
        )
        return [dict(r) for r in rows]

    rows = run(go)
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    table = Table("request", "job", "kind", "summary", "rules", "expires")
    for r in rows:
        table.add_row(
            r["request_id"],
            r["job_id"],
            r["kind"],
            r["summary"],
            ",".join(r["rule_ids"]),
            str(r["expires_at"]),
        )
    out.print(table)


@approvals_app.command("mint")
def approvals_mint(request: str = typer.Option(..., "--request"), tenant: str = TenantOpt) -> None:
    """Break-glass: mint a token for a request as the operator; prints it as JSON."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> MintReply:
        return await mint_as_operator(c, tenant, request)

    typer.echo(run(go).model_dump_json())


def _deliver(request: str, tenant: str | None, grant: bool, reason: str) -> str:
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> str:
        reply = await mint_as_operator(c, tenant, request)
        assert reply.token and reply.job_id
        msg = (
            ApprovalGranted(request_id=request, token=reply.token)
            if grant
            else ApprovalRefused(request_id=request, token=reply.token, reason=reason)
        )
        await c.bus.publish_job(tenant, reply.job_id, msg)
        return reply.job_id

    return run(go)


def approve(request: str, tenant: str = TenantOpt) -> None:
    """Approve a pending plan or step: mint a token and publish approval.granted."""
    job = _deliver(request, tenant, True, "")
    out.print(f"approved {request} (job {job})")


def refuse(
    request: str, tenant: str = TenantOpt, reason: str = typer.Option("", "--reason")
) -> None:
    """Refuse a pending plan or step: mint a token and publish approval.refused."""
    job = _deliver(request, tenant, False, reason)
    out.print(f"refused {request} (job {job})")
