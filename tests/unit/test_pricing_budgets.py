"""Pure cost decisions: prices, call ceilings, the cost of an answer, and the budget checks."""

from __future__ import annotations

import pytest

from shared.models.config import Price
from shared.models.pricing import (
    PriceTableError,
    dearest,
    dollars,
    estimate,
    of_answer,
    price_for,
    token_ceiling,
)
from shared.policy.budgets import Limits, Spend, assess_spend, limits_for, refusal

TABLE = {"*": Price(input=10, output=40), "cheap": Price(input=1, output=2)}


def test_prices_fall_back_to_the_star_entry_and_fail_without_it() -> None:
    assert price_for(TABLE, "cheap") == Price(input=1, output=2)
    assert price_for(TABLE, "unknown") == Price(input=10, output=40)
    with pytest.raises(PriceTableError, match="no price for model 'x'"):
        price_for({"cheap": Price(input=1, output=2)}, "x")
    table = {**TABLE, "in-heavy": Price(input=20, output=1)}
    assert dearest(table, ["cheap", "in-heavy"]) == Price(input=20, output=2)


def test_a_ceiling_counts_every_allowed_output_token_and_over_counts_input() -> None:
    text = "def f(x):\n    return x * 2\n" * 40
    assert token_ceiling(text) >= len(text) / 4  # at least the usual bytes-per-token guess
    assert token_ceiling({"a": "é"}) == 5  # '{"a": "\\u00e9"}' is 15 bytes
    assert estimate(Price(input=1, output=2), 1000, 500) == pytest.approx(0.002)
    assert estimate(Price(input=0, output=1), 0, None) == pytest.approx(8192 / 1e6)


def test_the_cost_of_an_answer_names_where_it_came_from() -> None:
    price = Price(input=3, output=15)
    usage = {"prompt_tokens": 1000, "completion_tokens": 100}
    table = of_answer(price, usage, input_ceiling=5, output_text="x")
    assert (table.usd, table.source) == (pytest.approx(dollars(price, 1000, 100)), "price_table")
    reported = of_answer(price, {**usage, "cost": 0.5}, input_ceiling=5, output_text="x")
    assert (reported.usd, reported.source) == (0.5, "provider")
    guessed = of_answer(price, None, input_ceiling=300, output_text="y" * 30)
    assert (guessed.input_tokens, guessed.output_tokens, guessed.source) == (300, 10, "estimated")
    odd = of_answer(
        price, {"prompt_tokens": True, "completion_tokens": -1}, input_ceiling=7, output_text=""
    )
    assert odd.source == "estimated" and odd.input_tokens == 7


def test_a_call_is_refused_when_its_ceiling_could_cross_a_cap() -> None:
    caps = Limits(job_usd=1.0, tenant_month_usd=10.0)
    assert refusal(Spend(0.5, 5.0), caps, 0.5, "call 3") is None  # exactly at the cap: allowed
    job = refusal(Spend(0.5, 5.0), caps, 0.51, "call 3")
    assert job is not None and job.budget == "job"
    assert "call 3 may cost up to $0.5100" in job.reason and "DEVFORGE_JOB_BUDGET_USD" in job.reason
    month = refusal(Spend(0.0, 9.9), caps, 0.2, "call 1")
    assert month is not None and month.budget == "tenant_month"
    assert refusal(Spend(50, 500), Limits(0, 0), 100, "c") is None  # 0: no cap


def test_tenant_settings_override_the_defaults_and_the_guard_stops_at_the_cap() -> None:
    own = limits_for(5.0, 100.0, {"job_budget_usd": 2, "monthly_budget_usd": "lots"})
    assert (own.job_usd, own.tenant_month_usd) == (2.0, 100.0)
    assert own.job_from == "tenant setting job_budget_usd"
    assert limits_for(5.0, 100.0, None) == Limits(5.0, 100.0)
    assert assess_spend(Spend(0.99, 0), Limits(1.0, 0)).allowed
    stop = assess_spend(Spend(1.0, 0), Limits(1.0, 0))
    assert (stop.verdict, stop.rule_ids) == ("deny", ["budget.job"])
    month = assess_spend(Spend(0, 3.0), Limits(0, 3.0))
    assert month.rule_ids == ["budget.tenant_month"]
