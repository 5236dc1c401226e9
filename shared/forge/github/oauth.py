"""Who may claim an installation: the GitHub user who just installed (or configured) the App.

With "Request user authorization (OAuth) during installation" on, GitHub's setup redirect
carries a one-time ``code``. It is exchanged for a user-to-server token (the App's client id
and secret), the token lists the installations of this App that the user can access
(``GET /user/installations``), and is revoked straight after. The token lives in one call's
memory: it is never logged, stored, put in a URL or returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2
from github import Auth, Github, GithubException

from shared.settings import Settings

TIMEOUT_S = 20.0


class NotConfigured(RuntimeError):
    """The App's slug, client id or client secret is not set."""


class Refused(Exception):
    """GitHub did not accept the authorization (a bad, used or expired code; wrong client)."""


class Unavailable(Exception):
    """GitHub could not be asked (network, 5xx, an answer that is not GitHub's)."""


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str
    oauth_url: str
    api_url: str
    slug: str

    def __repr__(self) -> str:  # never the secret
        return f"OAuthApp(client_id={self.client_id!r}, oauth_url={self.oauth_url!r})"

    @classmethod
    def from_settings(cls, s: Settings) -> OAuthApp:
        missing = [
            name
            for name, value in (
                ("DEVFORGE_GITHUB_APP_SLUG", s.github_app_slug),
                ("DEVFORGE_GITHUB_CLIENT_ID", s.github_client_id),
                ("DEVFORGE_GITHUB_CLIENT_SECRET", s.github_client_secret),
            )
            if not value
        ]
        if missing:
            raise NotConfigured(
                f"the GitHub install flow is not configured: set {', '.join(missing)}"
            )
        assert s.github_app_slug and s.github_client_id and s.github_client_secret
        return cls(
            s.github_client_id,
            s.github_client_secret,
            safe_url("DEVFORGE_GITHUB_OAUTH_URL", s.github_oauth_url),
            safe_url("DEVFORGE_GITHUB_API_URL", s.github_api_url),
            s.github_app_slug,
        )


def safe_url(name: str, url: str) -> str:
    """The client secret and user tokens travel to this URL: https, or http on loopback only."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if (parts.scheme == "https" and host) or (parts.scheme == "http" and loopback):
        return url.rstrip("/")
    raise NotConfigured(f"{name} must be an https URL (or http on loopback): {url!r}")


def install_url(oauth_url: str, slug: str, state: str) -> str:
    """GitHub's page that installs (or configures) the App, carrying DevForge's state."""
    return f"{oauth_url.rstrip('/')}/apps/{slug}/installations/new?{urlencode({'state': state})}"


def token_from(answer: Any) -> str:
    """The user token in GitHub's answer to the code exchange. GitHub reports a bad code or
    client with status 200 and an ``error`` field: that is a refusal, not a token."""
    if not isinstance(answer, dict):
        raise Unavailable("GitHub's answer to the code exchange is not a JSON object")
    if answer.get("error") == "incorrect_client_credentials":  # ours, not the user's
        raise Unavailable(
            "GitHub does not accept DevForge's client id and secret (incorrect_client_credentials):"
            " check DEVFORGE_GITHUB_CLIENT_ID and DEVFORGE_GITHUB_CLIENT_SECRET"
        )
    if "error" in answer:
        why = str(answer.get("error_description") or "")[:200]
        raise Refused(f"GitHub refused the authorization code: {answer['error']} ({why})")
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise Unavailable("GitHub's answer to the code exchange carries no access token")
    return token


async def _exchange(client: httpx2.AsyncClient, app: OAuthApp, code: str) -> str:
    try:
        r = await client.post(
            f"{app.oauth_url}/login/oauth/access_token",
            data={"client_id": app.client_id, "client_secret": app.client_secret, "code": code},
            headers={"Accept": "application/json"},
        )
    except httpx2.HTTPError as exc:
        raise Unavailable(f"GitHub could not be reached: {type(exc).__name__}") from None
    if r.status_code != 200:
        raise Unavailable(f"GitHub answered the code exchange with {r.status_code}")
    try:
        answer = r.json()
    except ValueError:
        raise Unavailable("GitHub's answer to the code exchange is not JSON") from None
    return token_from(answer)


def _installations(api_url: str, token: str) -> set[int]:
    """Every installation of this App the token's user can access (all pages)."""
    gh = Github(auth=Auth.Token(token), base_url=api_url, retry=2, seconds_between_requests=None)
    try:
        return {inst.id for inst in gh.get_user().get_installations()}
    except GithubException as exc:
        if exc.status in (401, 403):
            raise Refused(f"GitHub refused the user's token ({exc.status})") from None
        why = f"GitHub answered {exc.status} listing the user's installations"
        raise Unavailable(why) from None
    finally:
        gh.close()


async def _revoke(client: httpx2.AsyncClient, app: OAuthApp, token: str) -> None:
    """Best effort: the token expires on its own; revoking ends it now."""
    try:
        await client.request(
            "DELETE",
            f"{app.api_url}/applications/{app.client_id}/token",
            json={"access_token": token},
            auth=(app.client_id, app.client_secret),
            headers={"Accept": "application/vnd.github+json"},
        )
    except httpx2.HTTPError:
        return


async def user_can_access(app: OAuthApp, code: str, installation_id: int) -> bool:
    """Exchange ``code`` and say whether its user can access the installation."""
    async with httpx2.AsyncClient(timeout=TIMEOUT_S) as client:
        token = await _exchange(client, app, code)
        try:
            seen = await asyncio.to_thread(_installations, app.api_url, token)
        finally:
            await _revoke(client, app, token)
    return installation_id in seen
