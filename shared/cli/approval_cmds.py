"""``devforge approvals`` (operator: list, break-glass mint) and ``devforge approve|refuse``.

Tokens are minted only by the guard (``devforge.rpc.guard.mint``). ``approve``/``refuse`` go
through the gateway's approval endpoints with the operator's token when a gateway is there (the
stack's, or ``DEVFORGE_GATEWAY_URL``), else they ask the guard as the operator over the bus and
publish the decision themselves. Either way the decision is break-glass and audited as such.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from shared.approvals import ApprovalError
from shared.cli.context import Conn, require_tenant, run
from shared.cli.tables import printed_as_json_or_none, when, words
from shared.embedded.stack import Paths, StackError, read_stack
from shared.messages import ApprovalGranted, ApprovalRefused, MintReply
from shared.settings import Settings, get_settings

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
        await require_tenant(c, tenant)
        rows = await c.pool.fetch(
            "SELECT request_id, job_id, kind, tool, summary, rule_ids, status, expires_at "
            "FROM approvals WHERE tenant_id = $1 AND status = $2 ORDER BY created_at",
            tenant,
            status,
        )
        return [dict(r) for r in rows]

    rows = run(go)
    if printed_as_json_or_none(rows, as_json, f"no {status} approval requests for tenant {tenant}"):
        return
    # One block per request: the ids whole on the first line (copyable at any width), what it
    # is about below it, wrapped at words.
    for r in rows:
        out.print(
            f"[bold]{r['request_id']}[/bold]  {r['kind']}  job {r['job_id']}", highlight=False
        )
        detail = Text(
            f"{words(str(r['status']))}, expires {when(r['expires_at'])}; "
            f"rules: {', '.join(r['rule_ids']) or '-'}\n",
            style="dim",
        )
        detail.append(str(r["summary"] or ""), style="")
        out.print(Padding(detail, (0, 0, 0, 2), expand=False), highlight=False)
    if status == "pending":
        out.print(
            f"[dim]decide: devforge approve REQUEST --tenant {tenant} | "
            f'devforge refuse REQUEST --tenant {tenant} --reason "..."[/dim]',
            highlight=False,
        )


@approvals_app.command("mint")
def approvals_mint(request: str = typer.Option(..., "--request"), tenant: str = TenantOpt) -> None:
    """Break-glass: mint a token for a request as the operator; prints it as JSON."""
    tenant = tenant or get_settings().tenant

    async def go(c: Conn) -> MintReply:
        await require_tenant(c, tenant)
        return await mint_as_operator(c, tenant, request)

    typer.echo(run(go).model_dump_json())


def gateway_of(settings: Settings) -> tuple[str, str] | None:
    """(gateway URL, operator token): from the environment, else the running embedded stack."""
    url = os.environ.get("DEVFORGE_GATEWAY_URL", "")
    token = settings.admin_token or ""
    if not url:
        try:
            info = read_stack(Paths(settings.home))
        except StackError:
            return None
        url = str(info.get("gateway_url") or "")
        token_file = Path(str(info.get("admin_token_file") or ""))
        if not token and token_file.is_file():
            token = token_file.read_text().strip()
    return (url.rstrip("/"), token) if url and token else None


def decide_via_gateway(
    gw: tuple[str, str], tenant: str, request: str, grant: bool, reason: str
) -> str:
    """Ask the gateway to decide (it mints through the guard and publishes); the job id."""
    action = "approve" if grant else "refuse"
    req = urllib.request.Request(
        f"{gw[0]}/v1/approvals/{urllib.parse.quote(request)}/{action}",
        data=json.dumps({} if grant else {"reason": reason}).encode(),
        headers={
            "Authorization": f"Bearer {gw[1]}",
            "X-DevForge-Tenant": tenant,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return str(json.loads(r.read())["job_id"])
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            detail = json.loads(detail)["detail"]
        raise ApprovalError(f"the gateway refused ({exc.code}): {detail}") from None


def _deliver(request: str, tenant: str | None, grant: bool, reason: str) -> str:
    settings = get_settings()
    tenant = tenant or settings.tenant
    gw = gateway_of(settings)
    if gw is not None:
        return decide_via_gateway(gw, tenant, request, grant, reason)

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
