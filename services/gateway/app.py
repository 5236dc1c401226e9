"""The gateway's HTTP server (FastAPI): the ``/v1`` API, the live event streams and health.

The broker connection and the database pool live in the lifespan; the projector and the
watchdog run as their own processes beside it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.gateway import api_github, api_jobs, api_tenant, dashboard, webhooks
from services.gateway.auth import OidcVerifier
from services.gateway.deps import Gateway
from services.gateway.sse import Hub
from shared import inputs
from shared import logging as dlog
from shared.bus import dedupe
from shared.bus.client import Bus
from shared.db.pool import create_pool
from shared.observe import metrics
from shared.settings import Settings, get_settings

log = structlog.get_logger()


def verifier_for(settings: Settings) -> OidcVerifier | None:
    if not settings.oidc_issuer:
        log.warning(
            "local_mode",
            why="DEVFORGE_OIDC_ISSUER is not set: only the operator's admin token is accepted",
        )
        return None
    if not settings.oidc_audience:
        raise SystemExit("gateway: DEVFORGE_OIDC_AUDIENCE is required with DEVFORGE_OIDC_ISSUER")
    return OidcVerifier(settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    if not settings.nats_url or not settings.database_url:
        raise SystemExit("gateway: DEVFORGE_NATS_URL and DEVFORGE_DATABASE_URL must be set")
    verifier = verifier_for(settings)
    pool = await create_pool(settings.database_url)
    bus = await Bus.connect(settings.nats_url, name="gateway")
    bus.dedupe_key = await dedupe.load_key(pool)
    app.state.gateway = Gateway(settings=settings, pool=pool, bus=bus, verifier=verifier)
    app.state.hub = Hub()
    metrics.serve(settings, "gateway")
    ready = settings.home / "run" / "ready" / f"gateway.{os.getpid()}"
    ready.parent.mkdir(parents=True, exist_ok=True)
    ready.write_text(str(os.getpid()))
    try:
        yield
    finally:
        ready.unlink(missing_ok=True)
        metrics.withdraw(settings.home, "gateway")
        await bus.close()
        await pool.close()


app = FastAPI(title="DevForge gateway", version="0.1.0", lifespan=lifespan)
app.include_router(api_jobs.router)
app.include_router(api_tenant.router)
app.include_router(api_github.router)
app.include_router(webhooks.router)


@app.middleware("http")
async def refuse_bad_text(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """NUL, lone surrogates, NaN / Infinity and endless numbers never reach a handler: 400 for
    a query parameter, 422 for a JSON body, naming where (``shared.inputs``).
    Declared first, so it runs inside the size limit (a later declaration wraps it)."""
    problem = inputs.query_problem(request.query_params.multi_items())
    if problem is not None:
        return JSONResponse({"detail": problem}, status_code=400)
    if request.method in ("POST", "PUT", "PATCH") and "json" in request.headers.get(
        "content-type", ""
    ):
        problem = inputs.body_problem(await request.body())
        if problem is not None:
            return JSONResponse({"detail": problem}, status_code=422)
    return await call_next(request)


@app.middleware("http")
async def limit_body(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Refuse a body larger than DEVFORGE_MAX_BODY before reading it (413)."""
    limit = (
        request.app.state.gateway.settings.max_body if hasattr(request.app.state, "gateway") else 0
    )
    length = request.headers.get("content-length")
    if limit and length and length.isdigit() and int(length) > limit:
        return JSONResponse({"detail": f"request body larger than {limit} bytes"}, status_code=413)
    if limit and request.method in ("POST", "PUT", "PATCH") and length is None:
        body = await request.body()
        if len(body) > limit:
            return JSONResponse({"detail": f"request body larger than {limit} bytes"}, 413)
    return await call_next(request)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz")
async def readyz(response: Response) -> dict[str, Any]:
    g: Gateway = app.state.gateway
    checks = {"database": False, "nats": False}
    try:
        checks["database"] = await g.pool.fetchval("SELECT 1") == 1
    except Exception:
        checks["database"] = False
    checks["nats"] = bool(g.bus.nc.is_connected)
    if not all(checks.values()):
        response.status_code = 503
    return {"ready": all(checks.values()), "checks": checks}


dashboard.mount(app)  # last: the static files answer whatever the API does not


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
