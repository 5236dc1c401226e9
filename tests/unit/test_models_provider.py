"""The provider wrapper without a server: replayed turns, chains, settings, tracing, streaming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, ModelSettings, RunConfig, Runner, function_tool
from agents.exceptions import UserError
from agents.models.interface import ModelTracing
from agents.tracing import trace
from agents.tracing.traces import NoOpTrace

from shared.models import (
    AgentModelConfig,
    DevForgeModelProvider,
    ModelsUnavailableError,
    TranscriptRecorder,
    TurnRecord,
    configure_tracing,
)

# Nothing listens on the discard port: any HTTP request would fail the run.
DEAD = AgentModelConfig(
    role="backend",
    models=("m1", "m2"),
    base_url="http://127.0.0.1:9/v1",
    api_key="k",
    temperature=0.1,
    max_tokens=50,
    timeout=2,
    max_retries=0,
)
CALL = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 4}'}}
REPLAYED: list[dict[str, Any]] = [
    {"model": "m2", "message": {"role": "assistant", "tool_calls": [CALL]}},
    {"model": "m1", "message": {"role": "assistant", "content": "8"}, "finish_reason": "stop"},
]


async def test_replayed_turns_answer_without_any_http_request(tmp_path: Path) -> None:
    ran: list[int] = []
    live: list[TurnRecord] = []

    @function_tool
    def add(a: int) -> int:
        """Double a number."""
        ran.append(a)
        return a * 2

    async def on_turn(record: TurnRecord) -> None:
        live.append(record)

    recorder = TranscriptRecorder(tmp_path, "rec")
    provider = DevForgeModelProvider(
        "b.r1",
        "backend",
        config=DEAD,
        replayed=REPLAYED,
        on_turn=on_turn,
        recorder=recorder,
        env={},
    )
    agent = Agent(name="b", tools=[add])
    result = await Runner.run(agent, "go", run_config=RunConfig(model_provider=provider))
    assert (result.final_output, ran, live) == ("8", [4], [])
    assert provider.next_turn == 2 and provider._openai is None  # no client was ever created
    assert result.context_wrapper.usage.requests == 0
    saved = json.loads(recorder.path("b.r1").read_text())
    assert saved["turns"] == REPLAYED


async def test_a_live_turn_after_the_replayed_ones_calls_the_endpoint() -> None:
    provider = DevForgeModelProvider("b.r2", "backend", config=DEAD, replayed=REPLAYED[:1], env={})
    agent = Agent(name="b", tools=[function_tool(lambda a: a, name_override="add")])
    with pytest.raises(ModelsUnavailableError, match=r"agent run 'b\.r2' turn 1") as info:
        await Runner.run(agent, "go", run_config=RunConfig(model_provider=provider))
    assert set(info.value.errors) == {"m1", "m2"}
    assert info.value.errors["m1"]["status"] == 502
    assert provider.next_turn == 1  # a failed turn is asked again, with the same number
    await provider.aclose()


def test_model_chains() -> None:
    provider = DevForgeModelProvider("b.r3", "backend", config=DEAD, env={})
    assert provider.get_model(None).models == ("m1", "m2")
    assert provider.model().models == ("m1", "m2")
    assert provider.get_model("m1").models == ("m1", "m2")
    assert provider.get_model("m2").models == ("m2", "m1")
    assert provider.get_model("other").models == ("other", "m1", "m2")


def test_settings_carry_the_turn_header_and_configured_defaults() -> None:
    provider = DevForgeModelProvider("b.r4", "backend", config=DEAD, start_turn=5, env={})
    assert provider.next_turn == 5
    base = ModelSettings(extra_headers={"X-Other": "1"}, max_tokens=9)
    settings = provider._settings_for(base, 5)
    assert settings.extra_headers == {"X-Other": "1", "X-DevForge-Turn": "5"}
    assert (settings.temperature, settings.max_tokens) == (0.1, 9)


def test_keys_and_transcript_come_from_arguments_or_environment(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid agent key"):
        DevForgeModelProvider("a/b", "backend", config=DEAD, env={})
    with pytest.raises(ValueError, match="start_turn"):
        DevForgeModelProvider("a", "backend", config=DEAD, start_turn=-1, env={})
    env = {
        "DEVFORGE_MODEL_TRANSCRIPT": "demo",
        "DEVFORGE_MODEL_RECORD_DIR": str(tmp_path),
        "DEVFORGE_MODEL_BASE_URL": "http://127.0.0.1:1/v1",
    }
    provider = DevForgeModelProvider("lead.j1", "lead", env=env)
    assert provider.transcript == "demo"
    assert provider.config.base_url == "http://127.0.0.1:1/v1"
    assert provider.recorder is not None
    assert provider.recorder.path("lead.j1") == tmp_path / "demo" / "lead.j1.json"
    env["DEVFORGE_MODEL_RECORD_NAME"] = "fresh"
    provider = DevForgeModelProvider("lead.j1", "lead", env=env)
    assert provider.recorder is not None and provider.recorder.transcript == "fresh"
    assert DevForgeModelProvider("x", "lead", config=DEAD, env={}).recorder is None


def test_tracing_export_is_off_unless_configured() -> None:
    try:
        assert configure_tracing({"DEVFORGE_OPENAI_TRACING": "1"}) is True
        assert not isinstance(trace("on"), NoOpTrace)
        DevForgeModelProvider("x", "lead", config=DEAD, env={})
        assert isinstance(trace("off"), NoOpTrace)
    finally:
        configure_tracing({})


async def test_streaming_is_refused() -> None:
    model = DevForgeModelProvider("x", "lead", config=DEAD, env={}).model()
    stream = model.stream_response(
        None,
        "hi",
        ModelSettings(),
        [],
        None,
        [],
        ModelTracing.DISABLED,
        previous_response_id=None,
        conversation_id=None,
        prompt=None,
    )
    with pytest.raises(UserError, match="do not stream"):
        await anext(stream)
