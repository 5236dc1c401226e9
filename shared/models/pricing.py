"""What a model call costs: the provider's own figure, else the price table in ``models.yaml``.

Pure: no I/O beyond reading the (already loaded) table. Before a call nothing is known but the
request, so the estimate is a ceiling: the request's bytes over-counted as tokens, plus the whole
``max_tokens`` the model may answer with, at the dearest price of the models that may answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shared.models.config import Price

ANY_MODEL = "*"
# Tokenisers average about four bytes a token on English and code; three over-counts on purpose,
# so that an estimate errs high and a budget is never crossed by a call estimated low.
BYTES_PER_TOKEN = 3
# The output ceiling assumed for a request that sets no max_tokens (the packaged file sets one).
DEFAULT_MAX_OUTPUT = 8192
Source = Literal["provider", "price_table", "estimated", "replay", "oracle"]
# Answers of the embedded test doubles, by their ``system_fingerprint``: they cost nothing.
FREE_SOURCES: dict[str, Source] = {"devforge-replay": "replay", "devforge-oracle": "oracle"}


class PriceTableError(ValueError):
    """No price for a model and no ``"*"`` entry to fall back on."""


@dataclass(frozen=True)
class Cost:
    """The tokens and dollars of one answered call, and where the dollar figure came from."""

    input_tokens: int
    output_tokens: int
    usd: float
    source: Source


def price_for(table: Mapping[str, Price], model: str) -> Price:
    price = table.get(model) or table.get(ANY_MODEL)
    if price is None:
        raise PriceTableError(
            f"no price for model {model!r} and no {ANY_MODEL!r} entry under prices: in models.yaml"
        )
    return price


def dearest(table: Mapping[str, Price], models: Iterable[str]) -> Price:
    """One price no cheaper than any of ``models`` on either side (a fallback may answer)."""
    prices = [price_for(table, m) for m in models]
    return Price(input=max(p.input for p in prices), output=max(p.output for p in prices))


def dollars(price: Price, input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000


def token_ceiling(payload: Any) -> int:
    """An over-count of the tokens ``payload`` (anything JSON-serialisable) takes as input."""
    text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def estimate(price: Price, input_tokens: int, max_output: int | None) -> float:
    """The most a call may cost: its input, and every output token it is allowed."""
    return dollars(price, input_tokens, max_output or DEFAULT_MAX_OUTPUT)


def _count(usage: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def of_answer(
    price: Price,
    usage: Mapping[str, Any] | None,
    *,
    input_ceiling: int,
    output_text: str,
    fingerprint: str | None = None,
) -> Cost:
    """The cost of an answered call from its ``usage`` (OpenAI shape; OpenRouter adds ``cost``).

    Without token counts, both sides are estimated (the input ceiling, the answer's bytes). An
    answer signed by a DevForge test double (``fingerprint``: the replay server, the oracle)
    costs nothing; its source says which answered."""
    usage = usage or {}
    free = FREE_SOURCES.get(str(fingerprint)) if fingerprint else None
    inp = _count(usage, "prompt_tokens", "input_tokens")
    out = _count(usage, "completion_tokens", "output_tokens")
    reported = usage.get("cost")
    if inp is None or out is None:
        inp = input_ceiling if inp is None else inp
        out = token_ceiling(output_text) if out is None else out
        if free is not None:
            return Cost(inp, out, 0.0, free)
        return Cost(inp, out, dollars(price, inp, out), "estimated")
    if free is not None:
        return Cost(inp, out, 0.0, free)
    if isinstance(reported, int | float) and not isinstance(reported, bool) and reported >= 0:
        return Cost(inp, out, float(reported), "provider")
    return Cost(inp, out, dollars(price, inp, out), "price_table")
