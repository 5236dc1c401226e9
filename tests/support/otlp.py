"""A local OTLP/HTTP trace receiver standing in for Langfuse: it accepts what Langfuse accepts at
``/api/public/otel/v1/traces`` (protobuf ``ExportTraceServiceRequest``, basic auth with the
project's public and secret key) and keeps every span, decoded with opentelemetry-proto."""

from __future__ import annotations

import base64
import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

PATH = "/api/public/otel/v1/traces"


@dataclass
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    status_message: str


@dataclass
class Receiver:
    url: str
    public_key: str
    secret_key: str
    spans: list[Span] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why requests were turned away

    def in_trace(self, trace_id: str) -> list[Span]:
        return [s for s in self.spans if s.trace_id == trace_id]


def _value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def decode(body: bytes) -> list[Span]:
    req = ExportTraceServiceRequest()
    req.ParseFromString(body)
    out = []
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                out.append(
                    Span(
                        name=sp.name,
                        trace_id=sp.trace_id.hex(),
                        span_id=sp.span_id.hex(),
                        parent_id=sp.parent_span_id.hex(),
                        attributes={kv.key: _value(kv.value) for kv in sp.attributes},
                        status_message=sp.status.message,
                    )
                )
    return out


@contextmanager
def otlp_receiver(
    public_key: str = "pk-lf-test", secret_key: str = "sk-lf-test"
) -> Iterator[Receiver]:
    expected = "Basic " + base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
    lock = threading.Lock()
    receiver = Receiver("", public_key, secret_key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            problem = None
            if self.path != PATH:
                problem, status = f"unknown path {self.path}", 404
            elif self.headers.get("Authorization") != expected:
                problem, status = "bad credentials", 401
            elif self.headers.get("Content-Type") != "application/x-protobuf":
                problem, status = f"content type {self.headers.get('Content-Type')}", 415
            if problem is None:
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                spans = decode(body)
                with lock:
                    receiver.spans.extend(spans)
                status = 200
                payload = ExportTraceServiceResponse().SerializeToString()
            else:
                with lock:
                    receiver.refused.append(problem)
                payload = problem.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
