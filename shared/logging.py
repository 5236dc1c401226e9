"""Structured JSON logs (structlog) with tenant/job/step bound through context variables."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


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
