"""What the provider reports for every model turn (raw; redaction is the caller's job)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from shared.models import conversation
from shared.models.transcripts import RecordedRequest, Turn, TurnError


@dataclass(frozen=True)
class TurnRecord:
    """One answered model turn of one agent run.

    ``request`` is the JSON body sent to the model that answered (``model``, ``messages``,
    ``tools``, ...; empty for a replayed turn), ``message`` the assistant message it returned,
    ``errors`` the models that failed this turn before it (``{"model-a": {"status": 500,
    "message": "..."}}``; connection errors are reported as status 502).
    """

    agent_key: str
    role: str
    turn: int
    model: str
    message: dict[str, Any]
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    request: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    replayed: bool = False
    transcript: str | None = None
    # The answer's ``system_fingerprint``: the embedded test doubles sign theirs (replay, oracle)
    fingerprint: str | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's chat messages (system, user, assistant, tool)."""
        return list(self.request.get("messages") or [])

    def to_turn(self) -> dict[str, Any]:
        """This turn in transcript format: what ``replayed=[...]`` and the replay server take."""
        return Turn(
            model=self.model,
            errors={name: TurnError.model_validate(e) for name, e in self.errors.items()},
            message=self.message,
            finish_reason=self.finish_reason,
            usage=self.usage,
            request=self.recorded_request(),
        ).to_json()

    def recorded_request(self) -> RecordedRequest | None:
        """The request as a recording keeps it (None for a turn that was itself replayed)."""
        if not self.request:
            return None
        return RecordedRequest(
            digest=conversation.digest(self.request),
            messages=len(self.messages),
            last=conversation.last_words(self.request),
            parts=conversation.parts(self.request),
        )


TurnHook = Callable[[TurnRecord], Awaitable[None]]
