"""Recorded model transcripts: one human-editable JSON file per agent run.

``<root>/<transcript>/<agent-key>.json``::

    {
      "agent": "backend.t1.r1",
      "turns": [
        {"model": "model-b",
         "errors": {"model-a": {"status": 500, "message": "upstream overloaded"}},
         "message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "add", "arguments": "{\\"a\\": 1, \\"b\\": 2}"}}]},
         "finish_reason": "tool_calls",
         "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}},
        {"model": "model-a", "message": {"role": "assistant", "content": "3"},
         "finish_reason": "stop"}
      ]
    }

Turn N answers the request carrying ``X-DevForge-Turn: N``. ``errors`` maps a model name (or
``"*"`` for any model) to the HTTP error that model gets on this turn instead of the answer; a
turn whose ``errors`` has ``"*"`` may omit ``message``. ``usage`` is returned as recorded;
``model`` (who answered when recorded) and ``note`` are for humans. A missing ``finish_reason``
is served as ``tool_calls`` or ``stop``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
TRANSCRIPT_HEADER = "X-DevForge-Transcript"
AGENT_HEADER = "X-DevForge-Agent"
TURN_HEADER = "X-DevForge-Turn"
CREATED = 1_700_000_000  # a fixed timestamp keeps replayed responses byte-identical


NOT_RECORDED = "devforge_not_recorded"  # the error code of a conversation not recorded
NOT_RECORDED_TEXT = (
    "the embedded model only replays the recorded demo; this conversation was not recorded; "
    "set DEVFORGE_MODEL_BASE_URL to an OpenAI-compatible endpoint"
)
STALE_HINT = "after a change to the prompts or tools, `make transcripts` records them again"


class TranscriptError(ValueError):
    """A request the transcripts cannot answer; ``status`` is the HTTP status to return."""

    def __init__(self, status: int, message: str, code: str = "devforge_replay") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def not_recorded(detail: str) -> TranscriptError:
    return TranscriptError(404, f"{NOT_RECORDED_TEXT} ({detail}; {STALE_HINT})", NOT_RECORDED)


class RecordedRequest(BaseModel):
    """What the request of a recorded turn was (``shared.models.conversation``): the turn is
    replayed only for a request with the same digest."""

    model_config = ConfigDict(extra="forbid")

    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    messages: int = Field(ge=0)
    last: str = ""
    parts: list[str] = Field(default_factory=list)  # conversation.parts: where a request differs


class TurnError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int = Field(ge=400, le=599)
    message: str = "simulated model error"


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    errors: dict[str, TurnError] = Field(default_factory=dict)
    message: dict[str, Any] | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    note: str | None = None
    request: RecordedRequest | None = None
    # A misbehaving model on purpose: call a tool the request does not offer (tests of how the
    # platform handles bad model output); otherwise such a turn is refused as stale.
    offers_unknown_tool: bool = False

    @model_validator(mode="after")
    def _answerable(self) -> Turn:
        if self.message is None and "*" not in self.errors:
            raise ValueError('a turn needs a "message" unless its "errors" has "*"')
        return self

    def tool_names(self) -> list[str]:
        calls = (self.message or {}).get("tool_calls") or []
        return [str(c.get("function", {}).get("name")) for c in calls if isinstance(c, dict)]

    def error_for(self, model: str) -> TurnError | None:
        return self.errors.get(model) or self.errors.get("*")

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True)
        for key in ("errors", "offers_unknown_tool"):
            if not data.get(key):
                data.pop(key, None)
        return data


class Transcript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str
    turns: list[Turn] = Field(default_factory=list)


def check_key(kind: str, value: str | None) -> str:
    """A transcript name or agent key: safe as a file name and as a header value."""
    if not value:
        raise TranscriptError(400, f"missing {kind}")
    if not KEY_PATTERN.fullmatch(value):
        raise TranscriptError(400, f"invalid {kind} {value!r}: use letters, digits, '.', '_', '-'")
    return value


def transcript_path(root: Path, transcript: str, agent: str) -> Path:
    name = check_key(f"transcript name ({TRANSCRIPT_HEADER})", transcript)
    key = check_key(f"agent key ({AGENT_HEADER})", agent)
    return root / name / f"{key}.json"


def load_transcript(path: Path) -> Transcript:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise not_recorded(f"no recorded transcript file {path.parent.name}/{path.name}") from None
    try:
        return Transcript.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise TranscriptError(500, f"transcript file {path} is malformed: {exc}") from exc


def save_transcript(path: Path, transcript: Transcript) -> None:
    """Write atomically (a reader never sees half a file); two-space indent, stable key order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"agent": transcript.agent, "turns": [t.to_json() for t in transcript.turns]}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    Path(tmp).replace(path)


def find_turn(root: Path, transcript: str, agent: str, turn: int) -> Turn:
    path = transcript_path(root, transcript, agent)
    if not path.parent.is_dir():
        raise not_recorded(f"no transcript {transcript!r} under {root}")
    recorded = load_transcript(path)
    if turn < 0 or turn >= len(recorded.turns):
        raise not_recorded(
            f"transcript {transcript!r} agent {agent!r} has {len(recorded.turns)} recorded "
            f"turn(s); turn {turn} is not recorded"
        )
    return recorded.turns[turn]


def check_tools(turn: Turn, request_tools: list[str], where: str) -> None:
    """Refuse a recorded tool call whose tool the request does not offer (a stale transcript)."""
    missing = [name for name in turn.tool_names() if name not in request_tools]
    if missing and not turn.offers_unknown_tool:
        offered = ", ".join(request_tools) or "none"
        raise TranscriptError(
            409,
            f"{where} calls tool(s) {', '.join(missing)} that the request does not offer "
            f"(offered: {offered}); the transcript is stale",
        )


def normalize_message(message: dict[str, Any]) -> dict[str, Any]:
    """The assistant message as stored: null and empty fields dropped, role first."""
    out: dict[str, Any] = {"role": message.get("role") or "assistant"}
    for key, value in message.items():
        if key != "role" and value not in (None, [], {}):
            out[key] = value
    return out


def completion_body(turn: Turn, model: str, response_id: str) -> dict[str, Any]:
    """The chat.completions response for a recorded turn."""
    message = normalize_message(turn.message or {})
    message.setdefault("content", None)
    finish = turn.finish_reason or ("tool_calls" if message.get("tool_calls") else "stop")
    body: dict[str, Any] = {
        "id": response_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
    }
    if turn.usage is not None:
        body["usage"] = turn.usage
    return body


def error_body(status: int, message: str, code: str = "devforge_replay") -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "code": code, "status": status}}
