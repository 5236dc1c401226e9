"""The provider's cost hook, against the replay server over HTTP: a call is reserved before it
is sent, a refused call is never sent, an answered one is settled at its price, a failed one
is released."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from agents import Agent, RunConfig, Runner

from shared.models import AgentModelConfig, DevForgeModelProvider
from shared.models.config import Price
from shared.models.meter import AnsweredCall, BudgetExceeded, PlannedCall
from shared.models.server import BackgroundServer
from shared.observe import metrics

PRICES = {"*": Price(input=100, output=100), "m1": Price(input=2, output=10)}
TURNS = [
    {
        "message": {"role": "assistant", "content": "done"},
        "usage": {"prompt_tokens": 400, "completion_tokens": 20},
    }
]


class Book:
    """A meter that records what it is told and refuses calls above ``allow`` dollars."""

    def __init__(self, allow: float) -> None:
        self.allow = allow
        self.seen: list[tuple[str, object]] = []

    async def reserve(self, call: PlannedCall) -> None:
        self.seen.append(("reserve", call))
        if call.ceiling_usd > self.allow:
            raise BudgetExceeded("job", f"would cost up to {call.ceiling_usd}")

    async def settle(self, answered: AnsweredCall) -> None:
        self.seen.append(("settle", answered))

    async def release(self, call: PlannedCall) -> None:
        self.seen.append(("release", call))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BackgroundServer]:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "run.json").write_text(json.dumps({"agent": "run", "turns": TURNS}))
    with BackgroundServer(tmp_path, priced=True) as srv:  # answers as a hosted provider would
        yield srv


def _provider(url: str, meter: Book, models: tuple[str, ...] = ("m1",)) -> DevForgeModelProvider:
    config = AgentModelConfig(
        role="backend", models=models, base_url=url, api_key="k", max_tokens=100, max_retries=0
    )
    return DevForgeModelProvider(
        "run", "backend", config=config, transcript="t", meter=meter, prices=PRICES, env={}
    )


async def test_a_refused_call_is_never_sent(server: BackgroundServer) -> None:
    book = Book(allow=0.0)
    stops = metrics.BUDGET_STOPS.labels("job", "model")._value.get()
    async with _provider(server.url, book) as provider:
        with pytest.raises(BudgetExceeded, match="would cost up to"):
            await Runner.run(Agent(name="b"), "go", run_config=RunConfig(model_provider=provider))
    assert list(server.app.state.log) == []
    assert [kind for kind, _ in book.seen] == ["reserve"]
    assert provider.next_turn == 0
    assert metrics.BUDGET_STOPS.labels("job", "model")._value.get() == stops + 1


async def test_an_answered_call_is_settled_at_its_price_within_its_ceiling(
    server: BackgroundServer,
) -> None:
    book = Book(allow=1.0)
    async with _provider(server.url, book) as provider:
        result = await Runner.run(
            Agent(name="b"), "go", run_config=RunConfig(model_provider=provider)
        )
    assert result.final_output == "done"
    (_, planned), (_, answered) = book.seen
    assert isinstance(planned, PlannedCall) and isinstance(answered, AnsweredCall)
    assert answered.call is planned and answered.model == "m1"
    assert (answered.cost.input_tokens, answered.cost.output_tokens) == (400, 20)
    assert answered.cost.usd == pytest.approx((400 * 2 + 20 * 10) / 1e6)
    assert answered.cost.source == "price_table"
    assert planned.max_output_tokens == 100
    assert planned.ceiling_usd == pytest.approx((planned.input_tokens * 2 + 100 * 10) / 1e6)


async def test_a_call_no_model_answers_is_released_at_the_dearest_price() -> None:
    book = Book(allow=1.0)
    async with _provider("http://127.0.0.1:9/v1", book, models=("m1", "other")) as provider:
        with pytest.raises(Exception, match="no model answered"):
            await Runner.run(Agent(name="b"), "go", run_config=RunConfig(model_provider=provider))
    (_, planned), (kind, released) = book.seen
    assert kind == "release" and released is planned
    assert isinstance(planned, PlannedCall)
    # Either model may answer: the ceiling is priced at the dearer ("*": 100 $/Mtok both ways).
    assert planned.ceiling_usd == pytest.approx((planned.input_tokens + 100) * 100 / 1e6)
