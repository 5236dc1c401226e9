"""One trace per job, exported over OTLP/HTTP to Langfuse (or any OTLP receiver).

The trace id is the job id (a ULID is 128 bits, like a trace id) and the root span's id is
derived from it, so every process that works on a job puts its spans in the same trace without
passing any context: agent runs hang under the job's root, model calls and tool calls under
their agent. The projector emits the root itself when the job ends (it knows the start and the
end). Every string that reaches an exported span is redacted twice: where it is set, and by the
exporter wrapper (``RedactingExporter``) as the last boundary before the network.

Nothing is exported unless ``DEVFORGE_LANGFUSE_HOST`` (or ``LANGFUSE_HOST``) and both keys are
set: without them every function here is a no-op on a non-recording span.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, TraceFlags
from opentelemetry.trace.status import Status, StatusCode
from ulid import ULID

from shared.policy.secrets import redact
from shared.settings import Settings

OTLP_PATH = "/api/public/otel/v1/traces"
ATTR_LIMIT = 8000  # characters of one attribute value (inputs and outputs are cut there)
TYPE = "langfuse.observation.type"
INPUT = "langfuse.observation.input"
OUTPUT = "langfuse.observation.output"

_lock = threading.Lock()
_state: dict[str, Any] = {"key": None, "provider": None}
_forced: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "devforge_forced_ids", default=None
)


class _JobIds(RandomIdGenerator):
    """Random ids, except for the one span whose ids are fixed (a job's root)."""

    def generate_trace_id(self) -> int:
        forced = _forced.get()
        return forced[0] if forced else super().generate_trace_id()

    def generate_span_id(self) -> int:
        forced = _forced.get()
        return forced[1] if forced else super().generate_span_id()


def clean(value: Any) -> Any:
    """An attribute value safe to export: strings redacted and cut, other values JSON."""
    if isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = redact(text)
    return text if len(text) <= ATTR_LIMIT else text[:ATTR_LIMIT] + "…[cut]"


def _clean_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (attrs or {}).items():
        if value is None:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            out[key] = [clean(v) for v in value]
        else:
            out[key] = clean(value)
    return out


class RedactingExporter(SpanExporter):
    """Redacts every span's name, attributes, events and status text, then exports."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([_redacted(s) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _redacted(span: ReadableSpan) -> ReadableSpan:
    status = span.status
    if status.description:
        status = Status(status.status_code, redact(status.description))
    return ReadableSpan(
        name=redact(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_clean_attrs(span.attributes),
        events=(),  # none are set here; any added elsewhere could carry unredacted text
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _endpoint(host: str) -> str:
    return host.rstrip("/") + OTLP_PATH


def configure(settings: Settings) -> bool:
    """Set up export from ``settings`` (idempotent per configuration); True when exporting."""
    host, public, secret = (
        settings.langfuse_host,
        settings.langfuse_public_key,
        settings.langfuse_secret_key,
    )
    key = (host, public, secret) if host and public and secret else None
    with _lock:
        if key == _state["key"]:
            return key is not None
        old: TracerProvider | None = _state["provider"]
        if old is not None:
            old.shutdown()
        provider = None
        if key is not None:
            assert host and public and secret
            auth = base64.b64encode(f"{public}:{secret}".encode()).decode()
            exporter = OTLPSpanExporter(
                endpoint=_endpoint(host),
                headers={"Authorization": f"Basic {auth}", "x-langfuse-ingestion-version": "4"},
                timeout=10,
            )
            provider = TracerProvider(
                id_generator=_JobIds(),
                resource=Resource.create({"service.name": "devforge"}),
                shutdown_on_exit=True,
            )
            provider.add_span_processor(BatchSpanProcessor(RedactingExporter(exporter)))
        _state.update(key=key, provider=provider)
    return provider is not None


def enabled() -> bool:
    return _state["provider"] is not None


def flush() -> None:
    provider: TracerProvider | None = _state["provider"]
    if provider is not None:
        provider.force_flush(10_000)


def _tracer() -> trace.Tracer:
    provider: TracerProvider | None = _state["provider"]
    if provider is None:
        return trace.NoOpTracer()
    return provider.get_tracer("devforge")


def trace_id(job_id: str) -> int:
    """The job's ULID as a trace id (any other id: 128 bits of its hash)."""
    try:
        return int(ULID.from_str(job_id.upper()))
    except ValueError:
        digest = hashlib.sha256(f"devforge-job:{job_id}".encode()).digest()
        return int.from_bytes(digest[:16], "big") or 1


def root_span_id(job_id: str) -> int:
    digest = hashlib.sha256(f"devforge-job-root:{job_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") or 1


def trace_url(settings: Settings, job_id: str) -> str | None:
    """Where the job's trace is shown, when tracing is configured."""
    host = settings.langfuse_host
    if not (host and settings.langfuse_public_key and settings.langfuse_secret_key):
        return None
    tid = f"{trace_id(job_id):032x}"
    if settings.langfuse_project_id:
        return f"{host.rstrip('/')}/project/{settings.langfuse_project_id}/traces/{tid}"
    return f"{host.rstrip('/')}/trace/{tid}"


def _job_parent(job_id: str) -> otel_context.Context:
    ctx = SpanContext(
        trace_id=trace_id(job_id),
        span_id=root_span_id(job_id),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(ctx))


def set_attrs(span: Span, attrs: Mapping[str, Any]) -> None:
    if span.is_recording():
        span.set_attributes(_clean_attrs(attrs))


@contextmanager
def span(
    name: str, kind: str, attrs: Mapping[str, Any] | None = None, *, job_id: str | None = None
) -> Iterator[Span]:
    """A span under the current one (or, given ``job_id`` and no current span of that job's
    trace, under the job's root). ``kind``: Langfuse's observation type (agent, generation,
    tool, span). An exception ends it with an error status and goes on."""
    parent: otel_context.Context | None = None
    if job_id is not None and enabled():
        current = trace.get_current_span().get_span_context()
        if not current.is_valid or current.trace_id != trace_id(job_id):
            parent = _job_parent(job_id)
    with _tracer().start_as_current_span(
        redact(name),
        context=parent,
        attributes=_clean_attrs({TYPE: kind, **(attrs or {})}),
        record_exception=False,
        set_status_on_exception=False,
    ) as current_span:
        try:
            yield current_span
        except BaseException as exc:
            if current_span.is_recording():
                current_span.set_status(Status(StatusCode.ERROR, redact(f"{exc}")[:500]))
            raise


def emit_job_root(
    job_id: str, started: datetime, ended: datetime, attrs: Mapping[str, Any]
) -> None:
    """The job's root span (fixed ids, so the children already exported find their parent)."""
    if not enabled():
        return
    token = _forced.set((trace_id(job_id), root_span_id(job_id)))
    try:
        root = _tracer().start_span(
            f"job {job_id}",
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            attributes=_clean_attrs({TYPE: "span", **attrs}),
            start_time=int(started.timestamp() * 1e9),
        )
    finally:
        _forced.reset(token)
    root.end(end_time=int(ended.timestamp() * 1e9))
