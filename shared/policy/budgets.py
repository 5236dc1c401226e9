"""Cost budgets: a job's cap and a tenant's monthly cap, in US dollars. Pure: no I/O.

Two checks use them. Before a model call (``refusal``): the call may cost up to its ceiling, so it
is refused when what is spent (and held by calls in flight), plus that ceiling, would pass a
cap; a job therefore stops before the call that could cross, never after. Before a tool call
(``assess_spend``, the guard): once a cap is reached, no further step runs. A cap of 0 is no cap.
The tenant's own settings (``tenants.settings``: ``job_budget_usd``, ``monthly_budget_usd``)
override the deployment's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.policy.verdict import Verdict, allow, deny

JOB_SETTING = "DEVFORGE_JOB_BUDGET_USD"
MONTH_SETTING = "DEVFORGE_TENANT_MONTHLY_BUDGET_USD"
TENANT_KEYS = {"job": "job_budget_usd", "tenant_month": "monthly_budget_usd"}


@dataclass(frozen=True)
class Limits:
    job_usd: float  # 0: no cap
    tenant_month_usd: float
    job_from: str = JOB_SETTING  # where each cap was set, named in refusals
    month_from: str = MONTH_SETTING


@dataclass(frozen=True)
class Spend:
    job_usd: float
    tenant_month_usd: float


@dataclass(frozen=True)
class Refusal:
    budget: str  # "job" or "tenant_month", as in the rule ids ``budget.<budget>``
    reason: str


def _override(tenant_settings: Mapping[str, Any], key: str) -> float | None:
    value = tenant_settings.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def limits_for(
    job_default: float, month_default: float, tenant_settings: Mapping[str, Any] | None
) -> Limits:
    """The caps in force for a tenant: its own settings, else the deployment's."""
    own = tenant_settings or {}
    job = _override(own, TENANT_KEYS["job"])
    month = _override(own, TENANT_KEYS["tenant_month"])
    return Limits(
        job_usd=job_default if job is None else job,
        tenant_month_usd=month_default if month is None else month,
        job_from=JOB_SETTING if job is None else "tenant setting job_budget_usd",
        month_from=MONTH_SETTING if month is None else "tenant setting monthly_budget_usd",
    )


def _usd(value: float) -> str:
    return f"${value:.4f}"


def refusal(spend: Spend, limits: Limits, ceiling_usd: float, what: str) -> Refusal | None:
    """Why the call ``what`` (costing at most ``ceiling_usd``) may not be made, if it may not."""
    if limits.job_usd and spend.job_usd + ceiling_usd > limits.job_usd:
        return Refusal(
            "job",
            f"job budget reached: {what} may cost up to {_usd(ceiling_usd)}, and the job has "
            f"spent {_usd(spend.job_usd)} of its {_usd(limits.job_usd)} budget "
            f"({limits.job_from})",
        )
    if limits.tenant_month_usd and spend.tenant_month_usd + ceiling_usd > limits.tenant_month_usd:
        return Refusal(
            "tenant_month",
            f"tenant monthly budget reached: {what} may cost up to {_usd(ceiling_usd)}, and the "
            f"tenant has spent {_usd(spend.tenant_month_usd)} of its "
            f"{_usd(limits.tenant_month_usd)} this month ({limits.month_from})",
        )
    return None


def assess_spend(spend: Spend, limits: Limits) -> Verdict:
    """The guard's check before a step: deny once a cap has been reached."""
    if limits.job_usd and spend.job_usd >= limits.job_usd:
        return deny(
            "budget.job",
            f"job budget reached: spent {_usd(spend.job_usd)} of {_usd(limits.job_usd)} "
            f"({limits.job_from})",
        )
    if limits.tenant_month_usd and spend.tenant_month_usd >= limits.tenant_month_usd:
        return deny(
            "budget.tenant_month",
            f"tenant monthly budget reached: spent {_usd(spend.tenant_month_usd)} of "
            f"{_usd(limits.tenant_month_usd)} this month ({limits.month_from})",
        )
    return allow()
