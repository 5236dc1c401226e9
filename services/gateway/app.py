"""The gateway's HTTP server (FastAPI). The broker and the database pool live in the lifespan.

This is the gateway's process frame: health and readiness. The ``/v1`` API arrives with the
gateway issue; the projector and watchdog run as their own processes beside it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Response

from shared import logging as dlog
from shared.bus.client import Bus
from shared.db.pool import create_pool
from shared.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    if not settings.nats_url or not settings.database_url:
        raise SystemExit("gateway: DEVFORGE_NATS_URL and DEVFORGE_DATABASE_URL must be set")
    app.state.pool = await create_pool(settings.database_url)
    app.state.bus = await Bus.connect(settings.nats_url, name="gateway")
    ready = settings.home / "run" / "ready" / f"gateway.{os.getpid()}"
    ready.parent.mkdir(parents=True, exist_ok=True)
    ready.write_text(str(os.getpid()))
    try:
        yield
    finally:
        ready.unlink(missing_ok=True)
        await app.state.bus.close()
        await app.state.pool.close()


app = FastAPI(title="DevForge gateway", version="0.1.0", lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz")
async def readyz(response: Response) -> dict[str, Any]:
    checks = {"database": False, "nats": False}
    try:
        checks["database"] = await app.state.pool.fetchval("SELECT 1") == 1
    except Exception:
        checks["database"] = False
    checks["nats"] = bool(app.state.bus.nc.is_connected)
    if not all(checks.values()):
        response.status_code = 503
    return {"ready": all(checks.values()), "checks": checks}


def main() -> None:
    settings = get_settings()
    dlog.configure("gateway", settings.log_level)
    uvicorn.run(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port or 8080,
        log_config=None,
        access_log=False,
    )
