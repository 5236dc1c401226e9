"""Structured JSON logs (structlog) with tenant/job/step bound through context variables."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

_configured = False


def redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """Every text a log line carries, a traceback's included, through the secret scanner's
    redaction (what reaches events and PR bodies passes the same)."""
    from shared.policy.secrets import redact

    return {k: redact(v) if isinstance(v, str) else v for k, v in event.items()}


def configure(service: str, level: str = "info") -> None:
    global _configured
    lvl = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=lvl)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    _configured = True


def get(**bound: Any) -> Any:
    return structlog.get_logger().bind(**bound)
