"""The production provider against the replay server over real HTTP, driven by the Agents SDK."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the HTTP client openai 3.x is built on
import pytest
from agents import Agent, RunConfig, Runner, function_tool

from shared.models import (
    AgentModelConfig,
    DevForgeModelProvider,
    ModelsUnavailableError,
    NotRecordedError,
    TranscriptRecorder,
    TurnRecord,
)
from shared.models.server import BackgroundServer

ROOT = Path(__file__).resolve().parents[2]


def _call(name: str, args: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    fn = {"name": name, "arguments": json.dumps(args)}
    return {
        "role": "assistant",
        "tool_calls": [{"id": call_id, "type": "function", "function": fn}],
    }


def _text(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


USAGE = {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}
TRANSCRIPTS: dict[str, list[dict[str, Any]]] = {
    "calc.r1": [
        {"model": "model-a", "message": _call("add", {"a": 2, "b": 3}), "usage": USAGE},
        {"model": "model-a", "message": _text("The sum is 5."), "finish_reason": "stop"},
    ],
    "fallback.r1": [
        {
            "model": "model-b",
            "errors": {"model-a": {"status": 500, "message": "upstream overloaded"}},
            "message": _call("add", {"a": 40, "b": 2}),
            "finish_reason": "tool_calls",
            "usage": USAGE,
        },
        {"model": "model-a", "message": _text("42, said model-a"), "finish_reason": "stop"},
    ],
    "stale.r1": [{"message": _call("drop_database", {})}],
    "down.r1": [{"errors": {"*": {"status": 503, "message": "every model is down"}}}],
}
TRANSCRIPTS["replay.r1"] = TRANSCRIPTS["resume.r1"] = TRANSCRIPTS["calc.r1"]
for i in range(2, 7):
    TRANSCRIPTS[f"calc.r{i}"] = [
        {"model": "model-a", "message": _call("add", {"a": i, "b": 100}, f"call_{i}")},
        {"model": "model-a", "message": _text(f"run {i}: {i + 100}")},
    ]


def _write(root: Path, transcript: str, agent: str, turns: list[dict[str, Any]]) -> None:
    path = root / transcript / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"agent": agent, "turns": turns}, indent=2))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("transcripts")
    for agent, turns in TRANSCRIPTS.items():
        _write(root, "demo", agent, turns)
    return root


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[BackgroundServer]:
    with BackgroundServer(root) as srv:
        yield srv


def _config(url: str, models: tuple[str, ...] = ("model-a", "model-b")) -> AgentModelConfig:
    return AgentModelConfig(
        role="backend", models=models, base_url=url, api_key="k", timeout=10, max_retries=0
    )


async def _run_calc(
    url: str,
    key: str,
    transcript: str = "demo",
    **kwargs: Any,
) -> tuple[Any, list[TurnRecord], list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    records: list[TurnRecord] = []

    @function_tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        calls.append((a, b))
        return a + b

    async def on_turn(record: TurnRecord) -> None:
        records.append(record)

    agent = Agent(name="calc", instructions="Add the numbers with the tool.", tools=[add])
    async with DevForgeModelProvider(
        key,
        "backend",
        config=_config(url),
        transcript=transcript,
        on_turn=on_turn,
        env={},
        **kwargs,
    ) as provider:
        result = await Runner.run(agent, "add them", run_config=RunConfig(model_provider=provider))
    return result.final_output, records, calls


def _served(server: BackgroundServer, agent: str) -> list[tuple[str, str, int]]:
    return [
        (e["turn"], e["model"], e["status"]) for e in server.app.state.log if e["agent"] == agent
    ]


async def test_tool_call_then_final_text(server: BackgroundServer) -> None:
    output, records, calls = await _run_calc(server.url, "calc.r1")
    assert calls == [(2, 3)]
    assert output == "The sum is 5."
    assert [(r.turn, r.model, r.replayed) for r in records] == [
        (0, "model-a", False),
        (1, "model-a", False),
    ]
    first, second = records
    assert first.message["tool_calls"][0]["function"]["name"] == "add"
    assert first.usage == USAGE and first.finish_reason == "tool_calls"
    assert [t["function"]["name"] for t in first.request["tools"]] == ["add"]
    assert first.messages[0] == {"role": "system", "content": "Add the numbers with the tool."}
    assert second.messages[-1]["role"] == "tool" and second.messages[-1]["content"] == "5"
    assert _served(server, "calc.r1") == [("0", "model-a", 200), ("1", "model-a", 200)]


async def test_concurrent_runs_never_mix(server: BackgroundServer) -> None:
    runs = await asyncio.gather(*(_run_calc(server.url, f"calc.r{i}") for i in range(2, 7)))
    for i, (output, records, calls) in zip(range(2, 7), runs, strict=True):
        assert calls == [(i, 100)]
        assert output == f"run {i}: {i + 100}"
        assert [r.agent_key for r in records] == [f"calc.r{i}"] * 2


async def test_fallback_model_answers_when_first_errors(server: BackgroundServer) -> None:
    output, records, calls = await _run_calc(server.url, "fallback.r1")
    assert calls == [(40, 2)]
    assert output == "42, said model-a"
    assert records[0].model == "model-b"
    assert records[0].errors == {"model-a": {"status": 500, "message": "upstream overloaded"}}
    assert records[1].model == "model-a" and records[1].errors == {}
    assert _served(server, "fallback.r1") == [
        ("0", "model-a", 500),
        ("0", "model-b", 200),
        ("1", "model-a", 200),
    ]


async def test_every_model_failing_raises_with_each_error(server: BackgroundServer) -> None:
    with pytest.raises(ModelsUnavailableError) as info:
        await _run_calc(server.url, "down.r1")
    assert info.value.errors == {
        "model-a": {"status": 503, "message": "every model is down"},
        "model-b": {"status": 503, "message": "every model is down"},
    }
    assert "down.r1" in str(info.value) and "turn 0" in str(info.value)


async def test_unknown_agent_or_turn_is_a_clear_404(server: BackgroundServer) -> None:
    # Not recorded: no fallback can answer it (they share the endpoint), so none is asked.
    with pytest.raises(NotRecordedError) as info:
        await _run_calc(server.url, "nobody.r1")
    assert "nobody.r1.json" in str(info.value)
    assert "set DEVFORGE_MODEL_BASE_URL to an OpenAI-compatible endpoint" in str(info.value)
    assert _served(server, "nobody.r1") == [("0", "model-a", 404)]
    async with httpx.AsyncClient(base_url=server.url) as http:
        body = {"model": "model-a", "messages": [{"role": "user", "content": "hi"}]}
        headers = {"X-DevForge-Transcript": "demo", "X-DevForge-Agent": "calc.r1"}
        r = await http.post(
            "/chat/completions", json=body, headers={**headers, "X-DevForge-Turn": "7"}
        )
        assert r.status_code == 404
        assert "has 2 recorded turn(s); turn 7 is not recorded" in r.json()["error"]["message"]
        headers["X-DevForge-Transcript"] = "other"
        r = await http.post(
            "/chat/completions", json=body, headers={**headers, "X-DevForge-Turn": "0"}
        )
        assert r.status_code == 404 and "no transcript 'other'" in r.json()["error"]["message"]
        r = await http.post("/chat/completions", json={**body, "stream": True}, headers=headers)
        assert r.status_code == 400 and "does not stream" in r.json()["error"]["message"]
        models = (await http.get("/models")).json()
        assert {"model-a", "model-b"} <= {m["id"] for m in models["data"]}


async def test_stale_transcript_tool_is_a_409(server: BackgroundServer) -> None:
    with pytest.raises(ModelsUnavailableError) as info:
        await _run_calc(server.url, "stale.r1")
    error = info.value.errors["model-a"]
    assert error["status"] == 409
    assert "drop_database" in error["message"] and "offered: add" in error["message"]


async def test_replayed_turns_make_no_http_request(server: BackgroundServer) -> None:
    replayed = [TRANSCRIPTS["replay.r1"][0]]
    output, records, calls = await _run_calc(server.url, "replay.r1", replayed=replayed)
    assert calls == [(2, 3)]  # the tool layer decides about re-running; the model was not called
    assert output == "The sum is 5."
    assert [(r.turn, r.replayed) for r in records] == [(1, False)]  # on_turn: live turns only
    assert _served(server, "replay.r1") == [("1", "model-a", 200)]


async def test_start_turn_resumes_the_numbering(server: BackgroundServer) -> None:
    output, records, calls = await _run_calc(server.url, "resume.r1", start_turn=1)
    assert (output, calls) == ("The sum is 5.", [])
    assert [r.turn for r in records] == [1]
    assert _served(server, "resume.r1") == [("1", "model-a", 200)]


async def test_recorder_round_trip(server: BackgroundServer, root: Path) -> None:
    recorder = TranscriptRecorder(root, "recorded")
    out_x, rec_x, calls_x = await _run_calc(server.url, "fallback.r1", recorder=recorder)
    x = json.loads((root / "demo" / "fallback.r1.json").read_text())
    y = json.loads((root / "recorded" / "fallback.r1.json").read_text())
    # The recording of a replay is the transcript itself, each turn with its request.
    assert all("request" in turn for turn in y["turns"])
    assert [{k: v for k, v in t.items() if k != "request"} for t in y["turns"]] == x["turns"]
    out_y, rec_y, calls_y = await _run_calc(server.url, "fallback.r1", transcript="recorded")
    assert (out_y, calls_y) == (out_x, calls_x)
    fields = [(r.turn, r.model, r.message, r.finish_reason, r.usage, r.errors) for r in rec_x]
    assert fields == [
        (r.turn, r.model, r.message, r.finish_reason, r.usage, r.errors) for r in rec_y
    ]


def test_cli_prints_url_serves_and_stops_on_sigterm(root: Path) -> None:
    code = "import typer; from shared.cli.model_cmds import model_server; typer.run(model_server)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(root), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert "model-a" in httpx.get(f"{url}/models", timeout=5).text
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    assert rc == 0, proc.stderr.read() if proc.stderr else ""
