"""Replay answers only what was recorded: requests normalised (the same job for any tenant, job
id, path or time), a turn replayed only for its recorded conversation, and the refusal a user
can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.models import conversation
from shared.models.records import TurnRecord
from shared.models.server import answer
from shared.models.transcripts import NOT_RECORDED, Transcript, TranscriptError, save_transcript

TOOLS = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]


def _body(tool_output: str, ticket: str = "Add /health") -> dict[str, Any]:
    return {
        "model": "m",
        "tools": TOOLS,
        "messages": [
            {"role": "system", "content": "You are the lead."},
            {"role": "user", "content": f"The ticket: {ticket}"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "function": {"name": "read_file", "arguments": '{"path": "a"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": tool_output},
        ],
    }


def test_the_masks_hide_what_differs_between_runs_of_the_same_job() -> None:
    one = _body(
        "rootdir: /tmp/a/work/engineer-backend-11/01m98rfj28tx043g1sdzyb10xh\n"
        "3 passed in 0.53s at 2026-12-07T17:06:50Z commit 3f2a1b9c (score 0.8123)\n"
        "get = <function get.<locals>.call at 0x7f31f0669800>"
    )
    two = _body(
        "rootdir: /home/ci/.devforge/work/engineer-backend-7/01m98rgy6g1qm3z7tap3525hzz\n"
        "3 passed in 1.2 seconds at 2027-01-02 03:04:05 commit 9c8d7e6f (score 0.5)\n"
        "get = <function get.<locals>.call at 0x7fe41dce6440>"
    )
    assert conversation.digest(one) == conversation.digest(two)
    masked = conversation.mask(one["messages"][3]["content"])
    assert masked == (
        "rootdir: <path>\n3 passed in <dur> at <time> commit <hex> (score <n>)\n"
        "get = <function get.<locals>.call at <addr>>"
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["messages"][1].update(content="The ticket: Headers support len()"),
        lambda b: b["messages"][3].update(content="4 passed in 0.53s"),
        lambda b: b["tools"][0]["function"].update(parameters={"type": "array"}),
        lambda b: b["messages"].append({"role": "user", "content": "more"}),
    ],
)
def test_anything_else_changes_the_digest(change: Any) -> None:
    body = _body("3 passed in 0.53s")
    before = conversation.digest(body)
    change(body)
    assert conversation.digest(body) != before


def _recorded(root: Path, body: dict[str, Any]) -> None:
    rec = TurnRecord(
        agent_key="lead-a1",
        role="lead",
        turn=0,
        model="m",
        message={"role": "assistant", "content": "the plan"},
        request=body,
    )
    (root / "demo").mkdir(parents=True, exist_ok=True)
    transcript = Transcript.model_validate({"agent": "lead-a1", "turns": [rec.to_turn()]})
    save_transcript(root / "demo" / "lead-a1.json", transcript)


HEADERS = {"X-DevForge-Transcript": "demo", "X-DevForge-Agent": "lead-a1", "X-DevForge-Turn": "0"}


def test_a_turn_is_replayed_only_for_its_recorded_conversation(tmp_path: Path) -> None:
    _recorded(tmp_path, _body("3 passed in 0.53s"))
    status, reply = answer(tmp_path, HEADERS, _body("3 passed in 9.9s"))  # another run's timing
    assert status == 200 and reply["choices"][0]["message"]["content"] == "the plan"
    assert reply["system_fingerprint"] == "devforge-replay"
    with pytest.raises(TranscriptError) as refused:
        answer(tmp_path, HEADERS, _body("3 passed", ticket="Headers should support len()"))
    exc = refused.value
    assert exc.status == 404 and exc.code == NOT_RECORDED
    assert "DEVFORGE_MODEL_BASE_URL" in exc.message and "was not recorded" in exc.message
    assert "message 2 (user)" in exc.message  # where the conversation parts, said
    assert "Headers should support len()" in exc.message
    assert "make transcripts" in exc.message


def test_script_mode_answers_as_written_with_estimated_labelled_tokens(tmp_path: Path) -> None:
    _recorded(tmp_path, _body("3 passed"))
    status, reply = answer(tmp_path, HEADERS, _body("other", ticket="x"), script=True)
    assert status == 200
    usage = reply["usage"]
    assert usage["estimated"] is True and usage["tokenizer"].startswith("cl100k_base")
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0


def test_an_agent_or_turn_never_recorded_is_refused_the_same_way(tmp_path: Path) -> None:
    _recorded(tmp_path, _body("x"))
    for headers in (
        {**HEADERS, "X-DevForge-Agent": "backend-fix-2-r2"},
        {**HEADERS, "X-DevForge-Turn": "5"},
    ):
        with pytest.raises(TranscriptError) as refused:
            answer(tmp_path, headers, _body("x"))
        assert refused.value.code == NOT_RECORDED
        assert "DEVFORGE_MODEL_BASE_URL" in refused.value.message


def test_every_committed_demo_turn_carries_its_recorded_request() -> None:
    root = Path(__file__).resolve().parents[2] / "demo" / "transcripts" / "demo"
    for path in sorted(root.glob("*.json")):
        turns = json.loads(path.read_text())["turns"]
        assert turns and all("request" in t for t in turns), (
            f"{path.name} has turns without a recorded request: run `make transcripts`"
        )


def test_every_scripted_transcript_has_its_requests_recorded() -> None:
    """Each script beside a ``<name>.scenario.json`` was recorded (``make transcripts``): its
    turns up to the last one its scenario reaches carry their request."""
    root = Path(__file__).resolve().parents[1] / "data" / "transcripts"
    scenarios = sorted(root.glob("*.scenario.json"))
    assert {p.name.removesuffix(".scenario.json") for p in scenarios} == {
        d.name for d in root.iterdir() if d.is_dir()
    }, "every test transcript needs a scenario, so that `make transcripts` records it"
    for scenario in scenarios:
        for path in sorted((root / scenario.name.removesuffix(".scenario.json")).glob("*.json")):
            flags = ["request" in t for t in json.loads(path.read_text())["turns"]]
            assert flags[0] and flags == sorted(flags, reverse=True), (
                f"{path} has turns without a recorded request: run `make transcripts`"
            )
