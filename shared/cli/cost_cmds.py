"""``devforge cost`` (what the models cost, per job or per call) and ``devforge budget`` (the caps
in force for a tenant, and its own overrides)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from shared import ledger
from shared.cli.context import Conn, require_tenant, run
from shared.ids import check_job_id, check_tenant
from shared.policy import budgets
from shared.settings import get_settings

out = Console(highlight=False)
TenantOpt = typer.Option(None, "--tenant", help="tenant id (default: $DEVFORGE_TENANT)")


def _usd(value: Any) -> str:
    return f"${float(value):.4f}"


def _cap(value: float) -> str:
    return _usd(value) if value else "none"


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()} for row in rows]


def cost(
    tenant: str = TenantOpt,
    job: str = typer.Option(None, "--job", help="one job's model calls instead of every job"),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table"),
) -> None:
    """What the models cost: per job of a tenant, or per call of one job (--job)."""
    settings = get_settings()
    tenant = check_tenant(tenant or settings.tenant)
    job_id = check_job_id(job) if job else ""

    async def go(c: Conn) -> tuple[list[dict[str, Any]], budgets.Limits, budgets.Spend]:
        await require_tenant(c, tenant)
        rows = await (
            ledger.job_calls(c.pool, tenant, job_id)
            if job_id
            else ledger.job_summaries(c.pool, tenant)
        )
        caps, spend = await ledger.budget_state(c.pool, c.settings, tenant, job_id)
        return rows, caps, spend

    rows, caps, spend = run(go)
    if as_json:
        doc = {
            "tenant": tenant,
            "job": job_id or None,
            "rows": _plain(rows),
            "job_spent_usd": spend.job_usd if job_id else None,
            "month_spent_usd": spend.tenant_month_usd,
            "job_budget_usd": caps.job_usd or None,
            "monthly_budget_usd": caps.tenant_month_usd or None,
        }
        typer.echo(json.dumps(doc, default=str))
        return
    if job_id:
        table = Table("at", "agent", "turn", "model", "in", "out", "cost", "source")
        for r in rows:
            table.add_row(
                r["at"].strftime("%H:%M:%S"),
                r["agent"],
                str(r["turn"] if r["turn"] is not None else ""),
                r["model"],
                str(r["input_tokens"]),
                str(r["output_tokens"]),
                _usd(r["cost_usd"]),
                r["source"],
            )
        table.title = f"job {job_id}: {_usd(spend.job_usd)} of {_cap(caps.job_usd)}"
    else:
        table = Table("job", "title", "status", "calls", "in", "out", "cost")
        for r in rows:
            table.add_row(
                r["job_id"],
                (r["title"] or "")[:40],
                r["status"] or "",
                str(r["calls"]),
                str(r["input_tokens"]),
                str(r["output_tokens"]),
                _usd(r["cost_usd"]),
            )
        table.title = f"tenant {tenant}: job budget {_cap(caps.job_usd)}"
    table.caption = (
        f"this month (UTC): {_usd(spend.tenant_month_usd)} of {_cap(caps.tenant_month_usd)}"
    )
    out.print(table)


def budget(
    tenant: str = TenantOpt,
    job_usd: float = typer.Option(None, "--job-usd", min=0, help="the tenant's own job cap"),
    monthly_usd: float = typer.Option(None, "--monthly-usd", min=0, help="its own monthly cap"),
    reset: bool = typer.Option(False, "--reset", help="drop the tenant's own caps"),
) -> None:
    """Show a tenant's cost caps; set its own with --job-usd / --monthly-usd (0: no cap)."""
    settings = get_settings()
    tenant = check_tenant(tenant or settings.tenant)
    changes: dict[str, float | None] = {}
    if reset:
        changes = dict.fromkeys(budgets.TENANT_KEYS.values())
    if job_usd is not None:
        changes[budgets.TENANT_KEYS["job"]] = job_usd
    if monthly_usd is not None:
        changes[budgets.TENANT_KEYS["tenant_month"]] = monthly_usd

    async def go(c: Conn) -> tuple[budgets.Limits, budgets.Spend]:
        await require_tenant(c, tenant)
        if changes and not await ledger.set_tenant_budgets(c.pool, tenant, changes):
            raise LookupError(f"no tenant {tenant!r}")
        return await ledger.budget_state(c.pool, c.settings, tenant)

    caps, spend = run(go)
    out.print(f"tenant {tenant}")
    out.print(f"  job budget:     {_cap(caps.job_usd)}  ({caps.job_from})")
    out.print(f"  monthly budget: {_cap(caps.tenant_month_usd)}  ({caps.month_from})")
    out.print(f"  spent this month (UTC): {_usd(spend.tenant_month_usd)}")
