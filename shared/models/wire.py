"""The wire request and response of each model attempt, captured by httpx2 event hooks.

The provider sets a fresh ``Capture`` in a ContextVar around each attempt; the hooks run in the
same task as the OpenAI client's request, so concurrent runs never see each other's capture.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx  # the HTTP client openai 3.x is built on
import openai


@dataclass
class Capture:
    """The wire request and response of the current attempt (set per task via a ContextVar)."""

    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)


CAPTURE: ContextVar[Capture | None] = ContextVar("devforge_model_capture", default=None)


async def on_request(request: httpx.Request) -> None:
    capture = CAPTURE.get()
    if capture is None or not request.url.path.endswith("/chat/completions"):
        return
    try:
        capture.request = json.loads(request.content)
    except (httpx.RequestNotRead, ValueError):
        capture.request = {}


async def on_response(response: httpx.Response) -> None:
    capture = CAPTURE.get()
    if capture is None or not response.request.url.path.endswith("/chat/completions"):
        return
    await response.aread()
    try:
        capture.response = response.json()
    except ValueError:
        capture.response = {}


def error_entry(exc: openai.APIError) -> dict[str, Any]:
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        inner = body.get("error", body) if isinstance(body, dict) else None
        message = inner.get("message") if isinstance(inner, dict) else None
        return {"status": exc.status_code, "message": str(message or exc.message)}
    return {"status": 502, "message": f"connection error: {exc}"}


def event_hooks() -> dict[str, list[Any]]:
    """For ``httpx.AsyncClient(event_hooks=...)``."""
    return {"request": [on_request], "response": [on_response]}
