"""The dashboard: a static single-page app served by the gateway itself (no Node server at run
time), the one public document it needs before sign-in — where to sign in — and the page
GitHub's install flow returns to (``/github/setup``).

The app signs in with OIDC (authorization code with PKCE, in the browser) against the configured
issuer, or, in local mode, with the operator's admin token pasted by the operator. It then
speaks only the public ``/v1`` API with a bearer header, the live timeline included (a
fetch-based SSE client, so no token ever sits in a URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.deps import gw

STATIC = Path(__file__).with_name("static")
router = APIRouter()


@router.get("/dashboard/config.json", include_in_schema=False)
async def config(request: Request) -> dict[str, Any]:
    """What the sign-in page needs: the issuer and the dashboard's client id (public values)."""
    s = gw(request).settings
    oidc = bool(s.oidc_issuer and s.oidc_client_id)
    return {
        "mode": "oidc" if oidc else "local",
        "issuer": s.oidc_issuer if oidc else None,
        "client_id": s.oidc_client_id if oidc else None,
        "audience": s.oidc_audience if oidc else None,
        "scope": "openid profile email",
    }


@router.get("/github/setup", include_in_schema=False)
async def github_setup() -> FileResponse:
    """The GitHub App's setup URL: the page that finishes the connect flow. Not ``/``, whose
    ``?code=&state=`` is the OIDC sign-in's return."""
    return FileResponse(STATIC / "github-setup.html")


def _origin(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(issuer: str | None) -> str:
    """Scripts and styles from the gateway only; fetches to the gateway and the issuer (the
    discovery document and the token exchange); never framed."""
    connect = " ".join(x for x in ("'self'", _origin(issuer)) if x)
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


class SecurityHeaders:
    """Adds the dashboard's security headers to every response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers: list[tuple[bytes, bytes]] = []

    def _headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        if not self.headers:  # the issuer is known once the lifespan has read the settings
            state = getattr(scope.get("app"), "state", None)
            g = getattr(state, "gateway", None)
            issuer = g.settings.oidc_issuer if g is not None else None
            self.headers = [
                (b"content-security-policy", content_security_policy(issuer).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"no-referrer"),
            ]
        return self.headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self._headers(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in headers if k not in have]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def mount(app: FastAPI) -> None:
    """The config route, then the static files at ``/`` (last: the API's routes win)."""
    app.include_router(router)
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="dashboard")
    app.add_middleware(SecurityHeaders)
