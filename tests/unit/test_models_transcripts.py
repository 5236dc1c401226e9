"""The transcript format, the replay server's answers (without HTTP) and the recorder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.models.recorder import TranscriptRecorder
from shared.models.records import TurnRecord
from shared.models.server import answer, known_models
from shared.models.transcripts import TranscriptError, Turn, load_transcript

CALL = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
TOOLS = [{"type": "function", "function": {"name": "add", "parameters": {}}}]


def _headers(agent: str = "a.r1", turn: int = 0, transcript: str = "t") -> dict[str, str]:
    return {
        "X-DevForge-Transcript": transcript,
        "X-DevForge-Agent": agent,
        "X-DevForge-Turn": str(turn),
    }


def _body(model: str = "m1", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    turns = [
        {"model": "m1", "message": {"role": "assistant", "tool_calls": [CALL]}},
        {
            "errors": {"m1": {"status": 429, "message": "slow down"}},
            "message": {"role": "assistant", "content": "done"},
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        },
        {"errors": {"*": {"status": 502}}},
    ]
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.r1.json").write_text(json.dumps({"agent": "a.r1", "turns": turns}))
    return tmp_path


def test_a_recorded_turn_is_a_deterministic_chat_completion(root: Path) -> None:
    status, body = answer(root, _headers(), _body(tools=TOOLS))
    assert status == 200
    assert body == answer(root, _headers(), _body(tools=TOOLS))[1]
    assert body["object"] == "chat.completion" and body["model"] == "m1"
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"] == {"role": "assistant", "tool_calls": [CALL], "content": None}
    assert "usage" not in body


def test_errors_apply_per_model_or_to_every_model(root: Path) -> None:
    status, body = answer(root, _headers(turn=1), _body("m1"))
    assert (status, body["error"]["message"]) == (429, "slow down")
    status, body = answer(root, _headers(turn=1), _body("m2"))
    assert status == 200 and body["choices"][0]["message"]["content"] == "done"
    assert body["choices"][0]["finish_reason"] == "stop" and body["usage"]["total_tokens"] == 4
    assert answer(root, _headers(turn=2), _body("m2"))[0] == 502


@pytest.mark.parametrize(
    ("headers", "body", "status", "text"),
    [
        (_headers(turn=3), _body(), 404, "has 3 recorded turn(s); turn 3 is not recorded"),
        (_headers(agent="b.r1"), _body(), 404, "no recorded transcript file"),
        (_headers(transcript="zz"), _body(), 404, "no transcript 'zz'"),
        (_headers(agent="../t/a.r1"), _body(), 400, "invalid agent key"),
        (_headers(transcript=""), _body(), 400, "missing transcript name"),
        ({**_headers(), "X-DevForge-Turn": "x"}, _body(), 400, "X-DevForge-Turn"),
        (_headers(), _body(stream=True), 400, "does not stream"),
        (_headers(), {"messages": []}, 400, "no model"),
        (_headers(), ["not", "an", "object"], 400, "JSON object"),
        (_headers(), _body(), 409, "calls tool(s) add that the request does not offer"),
    ],
)
def test_refusals_name_what_is_missing(
    root: Path, headers: dict[str, str], body: Any, status: int, text: str
) -> None:
    with pytest.raises(TranscriptError) as info:
        answer(root, headers, body)
    assert info.value.status == status
    assert text in info.value.message


def test_malformed_transcript_is_reported(root: Path) -> None:
    (root / "t" / "bad.r1.json").write_text('{"agent": "bad.r1", "turns": [{"mesage": {}}]}')
    with pytest.raises(TranscriptError, match="malformed") as info:
        answer(root, _headers(agent="bad.r1"), _body())
    assert info.value.status == 500


def test_a_turn_needs_a_message_unless_every_model_errors() -> None:
    with pytest.raises(ValidationError, match="needs a"):
        Turn.model_validate({"errors": {"m1": {"status": 500}}})
    assert Turn.model_validate({"errors": {"*": {"status": 500}}}).message is None


def test_known_models(root: Path) -> None:
    assert known_models(root) == ["devforge-replay", "m1"]


def _record(turn: int, text: str) -> TurnRecord:
    return TurnRecord(
        agent_key="k.r1",
        role="qa",
        turn=turn,
        model="m2",
        message={"role": "assistant", "content": text},
        finish_reason="stop",
        errors={"m1": {"status": 500, "message": "boom"}},
    )


def test_recorder_writes_what_the_server_serves(tmp_path: Path) -> None:
    recorder = TranscriptRecorder(tmp_path, "rec")
    recorder.write(_record(0, "zero"))
    path = recorder.write(_record(1, "one"))
    assert path == tmp_path / "rec" / "k.r1.json"
    assert json.loads(path.read_text())["turns"][1] == {
        "model": "m2",
        "errors": {"m1": {"status": 500, "message": "boom"}},
        "message": {"role": "assistant", "content": "one"},
        "finish_reason": "stop",
    }
    status, body = answer(tmp_path, _headers("k.r1", 1, "rec"), _body("m2"))
    assert status == 200 and body["choices"][0]["message"]["content"] == "one"
    assert answer(tmp_path, _headers("k.r1", 1, "rec"), _body("m1"))[0] == 500


def test_recorder_fills_gaps_and_drops_turns_of_an_older_recording(tmp_path: Path) -> None:
    recorder = TranscriptRecorder(tmp_path, "rec")
    for turn in range(3):
        recorder.write(_record(turn, f"old {turn}"))
    recorder.write(_record(1, "new 1"))
    turns = load_transcript(recorder.path("k.r1")).turns
    assert [t.message for t in turns] == [
        {"role": "assistant", "content": "old 0"},
        {"role": "assistant", "content": "new 1"},
    ]
    recorder.write(_record(4, "four"))
    turns = load_transcript(recorder.path("k.r1")).turns
    assert len(turns) == 5 and turns[2].message is None and turns[2].errors["*"].status == 404


def test_recorder_rejects_unsafe_names(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError):
        TranscriptRecorder(tmp_path, "../escape")
