"""The one model path: OpenAI-compatible chat completions with per-turn fallbacks and turn hooks.

One ``DevForgeModelProvider`` per agent run (its ``agent_key`` keys the run's transcript and
its turn counter). Use it as ``RunConfig(model_provider=provider)`` with ``Agent(model=None)``
(or a model name, tried first, then the role's chain), or as ``Agent(model=provider.model())``.
Runs do not stream: call ``Runner.run``, not ``Runner.run_streamed``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import openai
from agents import ModelSettings, Usage, set_tracing_disabled
from agents.agent_output import AgentOutputSchemaBase
from agents.exceptions import AgentsException, UserError
from agents.handoffs import Handoff
from agents.items import ModelResponse, TResponseInputItem, TResponseStreamEvent
from agents.models.chatcmpl_converter import Converter
from agents.models.interface import Model, ModelProvider, ModelTracing
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.tool import Tool
from openai.types.chat import ChatCompletionMessage
from openai.types.responses.response_prompt_param import ResponsePromptParam

from shared.ids import new_id
from shared.models import pricing
from shared.models.config import AgentModelConfig, Price, load_models_file, model_config
from shared.models.meter import AnsweredCall, BudgetExceeded, Meter, PlannedCall
from shared.models.recorder import TranscriptRecorder
from shared.models.records import TurnHook, TurnRecord
from shared.models.transcripts import (
    AGENT_HEADER,
    KEY_PATTERN,
    NOT_RECORDED,
    TRANSCRIPT_HEADER,
    TURN_HEADER,
    Turn,
    normalize_message,
)
from shared.models.wire import CAPTURE, Capture, error_entry, event_hooks
from shared.observe import metrics
from shared.observe import tracing as otel

log = logging.getLogger(__name__)


def configure_tracing(env: Mapping[str, str] | None = None) -> bool:
    """Tracing export to OpenAI stays off unless ``DEVFORGE_OPENAI_TRACING=1``; returns it."""
    env = os.environ if env is None else env
    enabled = env.get("DEVFORGE_OPENAI_TRACING") == "1"
    set_tracing_disabled(not enabled)
    return enabled


class ModelsUnavailableError(AgentsException):
    """Every model of the chain failed one turn; ``errors`` maps model -> status and message."""

    def __init__(self, agent_key: str, turn: int, errors: dict[str, dict[str, Any]]) -> None:
        detail = "; ".join(f"{m}: {e['status']} {e['message']}" for m, e in errors.items())
        super().__init__(f"no model answered agent run {agent_key!r} turn {turn}: {detail}")
        self.agent_key, self.turn, self.errors = agent_key, turn, errors


class NotRecordedError(AgentsException):
    """The embedded replay server has no recording of this conversation: no model of the chain
    can answer it (they share the endpoint), and asking again cannot help."""


def _not_recorded(exc: openai.APIError) -> bool:
    body = exc.body if isinstance(exc, openai.APIStatusError) else None
    inner = body.get("error", body) if isinstance(body, dict) else None
    return isinstance(inner, dict) and inner.get("code") == NOT_RECORDED


class DevForgeModel(Model):
    """A chain of models (primary, then fallbacks) behind one provider's turn counter."""

    def __init__(self, provider: DevForgeModelProvider, models: tuple[str, ...]) -> None:
        self.provider = provider
        self.models = models

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> ModelResponse:
        p = self.provider
        async with p._lock:
            turn = p.next_turn
            if turn < len(p.replayed):
                response = await p._replay(turn, self.models[0])
                p.next_turn += 1
                return response
            settings = p._settings_for(model_settings, turn)
            request = (system_instructions, input, [_tool_shape(t) for t in tools])
            planned = p._plan(turn, self.models, request, output_schema, settings)
            await p._reserve(planned)
            settled = False
            try:
                attrs = {"devforge.agent": p.agent_key, "devforge.turn": turn}
                with otel.span(f"model {p.role} turn {turn}", "generation", attrs) as span:
                    started = time.perf_counter()
                    response, record = await self._first_answer(
                        turn,
                        lambda inner: inner.get_response(
                            system_instructions,
                            input,
                            settings,
                            tools,
                            output_schema,
                            handoffs,
                            tracing,
                            previous_response_id=previous_response_id,
                            conversation_id=conversation_id,
                            prompt=prompt,
                        ),
                    )
                    await p._settle(planned, record, time.perf_counter() - started, span)
                    settled = True
            finally:
                if not settled:
                    await p._release(planned)
            await p._emit(record)
            p.next_turn += 1
            return response

    async def _first_answer(
        self, turn: int, ask: Callable[[Model], Awaitable[ModelResponse]]
    ) -> tuple[ModelResponse, TurnRecord]:
        """The answer of the first model of the chain that gives one."""
        p = self.provider
        errors: dict[str, dict[str, Any]] = {}
        last: openai.APIError | None = None
        for name in self.models:
            capture = Capture()
            token = CAPTURE.set(capture)
            try:
                response = await ask(
                    OpenAIChatCompletionsModel(model=name, openai_client=p._client())
                )
            except (openai.AuthenticationError, openai.PermissionDeniedError):
                metrics.MODEL_CALLS.labels(p.role, name, "error").inc()
                raise
            except openai.APIError as exc:
                metrics.MODEL_CALLS.labels(p.role, name, "error").inc()
                if _not_recorded(exc):
                    raise NotRecordedError(error_entry(exc)["message"]) from None
                errors[name] = error_entry(exc)
                last = exc
                log.warning("model %s failed turn %s of %s: %s", name, turn, p.agent_key, exc)
                continue
            finally:
                CAPTURE.reset(token)
            return response, p._live_record(turn, name, capture, errors)
        raise ModelsUnavailableError(p.agent_key, turn, errors) from last

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        raise UserError("DevForge models do not stream: use Runner.run, not Runner.run_streamed")
        yield  # pragma: no cover - makes this an async generator


def _tool_shape(tool: Tool) -> Any:
    """What a tool adds to the request (its name, description and parameters), for estimates."""
    schema = getattr(tool, "params_json_schema", None)
    return [tool.name, getattr(tool, "description", ""), schema]


class DevForgeModelProvider(ModelProvider):
    """Models for one agent run of one role, configured by ``models.yaml`` and the environment.

    ``on_turn`` is awaited after every answered live turn (not for replayed ones) with the raw
    ``TurnRecord``. ``meter`` reserves each live call's worst-case cost before it is made (and
    may refuse it: ``BudgetExceeded``), then settles what it cost (``prices`` from models.yaml
    where the response reports no cost). Turns are numbered from ``start_turn``; turn
    i < ``len(replayed)`` is answered from ``replayed[i]`` (a ``TurnRecord.to_turn()`` dict)
    without any HTTP request. A turn that every model fails raises ``ModelsUnavailableError``
    and does not advance the counter.
    """

    def __init__(
        self,
        agent_key: str,
        role: str,
        *,
        on_turn: TurnHook | None = None,
        start_turn: int = 0,
        replayed: Sequence[Mapping[str, Any]] = (),
        config: AgentModelConfig | None = None,
        transcript: str | None = None,
        recorder: TranscriptRecorder | None = None,
        env: Mapping[str, str] | None = None,
        meter: Meter | None = None,
        prices: Mapping[str, Price] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        if not KEY_PATTERN.fullmatch(agent_key):
            raise ValueError(f"invalid agent key {agent_key!r}: use letters, digits, '.', '_', '-'")
        if start_turn < 0:
            raise ValueError("start_turn must be >= 0")
        self.agent_key = agent_key
        self.role = role
        self.config = config or model_config(role, env)
        self.on_turn = on_turn
        self.next_turn = start_turn
        self.replayed = [Turn.model_validate(dict(t)) for t in replayed]
        self.transcript = transcript or env.get("DEVFORGE_MODEL_TRANSCRIPT") or None
        if self.transcript is not None and not KEY_PATTERN.fullmatch(self.transcript):
            raise ValueError(f"invalid transcript name {self.transcript!r}")
        record_dir = env.get("DEVFORGE_MODEL_RECORD_DIR")
        if recorder is None and record_dir:
            name = env.get("DEVFORGE_MODEL_RECORD_NAME") or self.transcript or "recorded"
            recorder = TranscriptRecorder(Path(record_dir), name)
        self.recorder = recorder
        self.meter = meter
        self.prices = dict(prices) if prices is not None else load_models_file(env).prices
        self._openai: openai.AsyncOpenAI | None = None
        self._lock = asyncio.Lock()
        self.tracing = configure_tracing(env)

    def get_model(self, model_name: str | None) -> DevForgeModel:
        chain = self.config.models
        if model_name and model_name not in chain[:1]:
            chain = (model_name, *(m for m in chain if m != model_name))
        return DevForgeModel(self, chain)

    def model(self) -> DevForgeModel:
        """The role's chain, for ``Agent(model=provider.model())``."""
        return self.get_model(None)

    def _client(self) -> openai.AsyncOpenAI:
        if self._openai is None:
            headers = {AGENT_HEADER: self.agent_key}
            if self.transcript:
                headers[TRANSCRIPT_HEADER] = self.transcript
            self._openai = openai.AsyncOpenAI(
                base_url=self.config.base_url,
                api_key=self.config.api_key,
                default_headers=headers,
                timeout=self.config.timeout,
                max_retries=self.config.max_retries,
                http_client=openai.DefaultAsyncHttpxClient(event_hooks=event_hooks()),
            )
        return self._openai

    def _settings_for(self, settings: ModelSettings, turn: int) -> ModelSettings:
        cfg = self.config
        return dataclasses.replace(
            settings,
            extra_headers={**(settings.extra_headers or {}), TURN_HEADER: str(turn)},
            temperature=cfg.temperature if settings.temperature is None else settings.temperature,
            max_tokens=cfg.max_tokens if settings.max_tokens is None else settings.max_tokens,
        )

    def _plan(
        self,
        turn: int,
        models: tuple[str, ...],
        request: Any,
        output_schema: AgentOutputSchemaBase | None,
        settings: ModelSettings,
    ) -> PlannedCall:
        schema = output_schema.json_schema() if output_schema is not None else None
        tokens = pricing.token_ceiling([request, schema])
        max_out = settings.max_tokens or pricing.DEFAULT_MAX_OUTPUT
        price = pricing.dearest(self.prices, models)
        return PlannedCall(
            call_id=new_id(),
            agent_key=self.agent_key,
            role=self.role,
            turn=turn,
            models=models,
            input_tokens=tokens,
            max_output_tokens=max_out,
            ceiling_usd=pricing.estimate(price, tokens, max_out),
        )

    async def _reserve(self, planned: PlannedCall) -> None:
        if self.meter is None:
            return
        try:
            await self.meter.reserve(planned)
        except BudgetExceeded as exc:
            metrics.BUDGET_STOPS.labels(exc.budget, "model").inc()
            raise

    async def _settle(
        self, planned: PlannedCall, record: TurnRecord, seconds: float, span: Any
    ) -> None:
        cost = pricing.of_answer(
            pricing.price_for(self.prices, record.model),
            record.usage,
            input_ceiling=planned.input_tokens,
            output_text=json.dumps(record.message),
            fingerprint=record.fingerprint,
        )
        if self.meter is not None:
            await self.meter.settle(AnsweredCall(planned, record.model, cost))
        role, model = self.role, record.model
        metrics.MODEL_CALLS.labels(role, model, "ok").inc()
        metrics.MODEL_SECONDS.labels(role, model).observe(seconds)
        metrics.MODEL_TOKENS.labels(role, model, "input").inc(cost.input_tokens)
        metrics.MODEL_TOKENS.labels(role, model, "output").inc(cost.output_tokens)
        metrics.MODEL_COST.labels(role, model).inc(cost.usd)
        otel.set_attrs(
            span,
            {
                "gen_ai.request.model": planned.models[0],
                "gen_ai.response.model": model,
                "gen_ai.usage.input_tokens": cost.input_tokens,
                "gen_ai.usage.output_tokens": cost.output_tokens,
                "gen_ai.usage.cost": cost.usd,
                "devforge.cost_source": cost.source,
                "devforge.fallback_errors": record.errors or None,
                otel.INPUT: record.messages[-2:],
                otel.OUTPUT: record.message,
            },
        )

    async def _release(self, planned: PlannedCall) -> None:
        if self.meter is None:
            return
        try:
            await self.meter.release(planned)
        except Exception as exc:  # the reservation lapses by itself; the call's error matters
            log.warning("could not release reservation %s: %s", planned.call_id, exc)

    def _live_record(
        self, turn: int, model: str, capture: Capture, errors: dict[str, dict[str, Any]]
    ) -> TurnRecord:
        choices = capture.response.get("choices") or [{}]
        choice = choices[0] if isinstance(choices[0], dict) else {}
        return TurnRecord(
            agent_key=self.agent_key,
            role=self.role,
            turn=turn,
            model=model,
            message=normalize_message(choice.get("message") or {}),
            finish_reason=choice.get("finish_reason"),
            usage=capture.response.get("usage"),
            request=capture.request,
            errors=dict(errors),
            transcript=self.transcript,
            fingerprint=capture.response.get("system_fingerprint"),
        )

    async def _replay(self, turn: int, default_model: str) -> ModelResponse:
        recorded = self.replayed[turn]
        if recorded.message is None:
            raise ValueError(f"replayed turn {turn} of {self.agent_key!r} has no message")
        message = normalize_message(recorded.message)
        message.setdefault("content", None)
        model = recorded.model or default_model
        items = Converter.message_to_output_items(
            ChatCompletionMessage.model_validate(message), provider_data={"model": model}
        )
        record = TurnRecord(
            agent_key=self.agent_key,
            role=self.role,
            turn=turn,
            model=model,
            message=normalize_message(recorded.message),
            finish_reason=recorded.finish_reason,
            usage=recorded.usage,
            errors={k: v.model_dump() for k, v in recorded.errors.items()},
            replayed=True,
            transcript=self.transcript,
        )
        if self.recorder is not None:
            await self.recorder(record)
        return ModelResponse(output=items, usage=Usage(), response_id=None)

    async def _emit(self, record: TurnRecord) -> None:
        if self.recorder is not None:
            await self.recorder(record)
        if self.on_turn is not None:
            await self.on_turn(record)

    async def aclose(self) -> None:
        if self._openai is not None:
            await self._openai.close()
            self._openai = None

    async def __aenter__(self) -> DevForgeModelProvider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
