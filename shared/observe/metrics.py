"""Prometheus metrics of every DevForge process, served on ``/metrics``.

Every series is listed in the README (a test parses that table and checks it against a scrape,
so the two cannot drift). Labels stay bounded: service, event, role, model, tool, verdict, never
a tenant or a job id. One process serves one registry on one port (``DEVFORGE_METRICS_PORT``, or
``DEVFORGE_METRICS_PORT_<SERVICE>``; ``0`` picks a free port); several services in one process
(the tests) share it. The address is written to ``$DEVFORGE_HOME/run/metrics/<service>.<pid>``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from shared.settings import Settings

MESSAGES_IN = Counter(
    "devforge_messages_received", "Messages a service took from the bus", ["service", "event"]
)
MESSAGES_OUT = Counter(
    "devforge_messages_published", "Messages published on JetStream", ["service", "event"]
)
HANDLER_SECONDS = Histogram(
    "devforge_handler_seconds",
    "Time a handler took for a message it completed",
    ["service", "event"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
REDELIVERIES = Counter(
    "devforge_redeliveries", "Messages received again after an earlier delivery", ["service"]
)
RETRIES = Counter("devforge_retries", "Failed handler runs sent back for a retry", ["service"])
DEAD_LETTERS = Counter(
    "devforge_dead_letters", "Messages moved to the dead-letter stream", ["service"]
)
GUARD_VERDICTS = Counter("devforge_guard_verdicts", "Decisions of the guard", ["action", "verdict"])
TOOL_CALLS = Counter(
    "devforge_tool_calls", "Tool calls of the agents by outcome", ["tool", "outcome"]
)
MODEL_CALLS = Counter(
    "devforge_model_calls", "Live model calls by outcome", ["role", "model", "outcome"]
)
MODEL_SECONDS = Histogram(
    "devforge_model_call_seconds",
    "Time of an answered model call (fallbacks included)",
    ["role", "model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
MODEL_TOKENS = Counter(
    "devforge_model_tokens", "Tokens of answered model calls", ["role", "model", "kind"]
)
MODEL_COST = Counter(
    "devforge_model_cost_usd", "Dollars of answered model calls", ["role", "model"]
)
BUDGET_STOPS = Counter(
    "devforge_budget_stops", "Calls or steps refused by a cost budget", ["budget", "where"]
)
SSE_CLIENTS = Gauge("devforge_sse_clients", "Clients following a job's events (gateway)")
SSE_CONNECTIONS = Counter("devforge_sse_connections", "Event streams opened (gateway)")

GUARD_ACTIONS = ("ticket.preflight", "plan", "step")
VERDICTS = ("allow", "needs_approval", "deny")
BUDGETS = ("job", "tenant_month")

_lock = threading.Lock()
_served: dict[str, str] = {}

for _budget in BUDGETS:
    for _where in ("model", "guard"):
        BUDGET_STOPS.labels(_budget, _where)


def init_service(service: str, events: Iterable[str]) -> None:
    """Make a service's series visible at zero before its first message."""
    for metric in (REDELIVERIES, RETRIES, DEAD_LETTERS):
        metric.labels(service)
    for event in events:
        MESSAGES_IN.labels(service, event)
        HANDLER_SECONDS.labels(service, event)
    if service == "guard":
        for action in GUARD_ACTIONS:
            for verdict in VERDICTS:
                GUARD_VERDICTS.labels(action, verdict)


def port_for(settings: Settings, service: str) -> int | None:
    own = os.environ.get(f"DEVFORGE_METRICS_PORT_{service.upper().replace('-', '_')}")
    if own:
        try:
            return int(own)
        except ValueError:
            raise SystemExit(f"{service}: DEVFORGE_METRICS_PORT_* must be a port number") from None
    return settings.metrics_port


def serve(settings: Settings, service: str) -> str | None:
    """Serve ``/metrics`` (once per process); the URL, or None when metrics are off."""
    port = port_for(settings, service)
    if port is None:
        return None
    with _lock:
        url = _served.get("url")
        if url is None:
            server, _ = start_http_server(port, addr=settings.metrics_host)
            bound = int(server.server_address[1])
            url = f"http://{settings.metrics_host}:{bound}/metrics"
            _served["url"] = url
    announce(settings.home, service, url)
    return url


def _announcement(home: Path, service: str) -> Path:
    return home / "run" / "metrics" / f"{service}.{os.getpid()}"


def announce(home: Path, service: str, url: str) -> None:
    path = _announcement(home, service)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url + "\n")


def withdraw(home: Path, service: str) -> None:
    """Forget this process's address (it is stopping)."""
    _announcement(home, service).unlink(missing_ok=True)


def served_url() -> str | None:
    return _served.get("url")
