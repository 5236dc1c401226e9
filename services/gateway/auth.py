"""Who is calling: OIDC bearer tokens checked against a fixed issuer, or the operator's token.

A token is accepted only when every one of these holds (LIBRARIES.md lists the attacks):
- at most 16 KiB, three parts, a header with an algorithm from the allowlist (asymmetric only:
  no ``none``, no HMAC that a public key could be abused to sign), no key or key URL carried in
  the token (``jwk``, ``jku``, ``x5u``, ``x5c``) and no ``crit`` extension;
- a ``kid`` that names a key of the issuer's JWKS (fetched from the configured URL or discovery;
  refetched at most once a minute when an unknown ``kid`` appears);
- a valid signature, the configured issuer and audience, an ``exp`` in the future, and no
  ``nbf`` in the future (30 s of clock skew allowed).

Without OIDC configured the gateway is in local mode: only the operator's admin token is
accepted, and the gateway says so loudly when it starts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import re
import time
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
MAX_TOKEN = 16 * 1024
REFETCH_AFTER_S = 60.0
LEEWAY_S = 30
HTTP_ROLES = ("submitter", "approver", "admin")
_ROLE_ALIASES = {"org:admin": "admin", "org:approver": "approver", "org:member": "submitter"}


class Unauthorized(Exception):
    """The credential is missing or not acceptable (HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    tenant: str
    subject: str
    role: str  # submitter | approver | admin
    operator: bool = False  # the operator's admin token: break-glass, audited as such

    def may(self, action: str) -> bool:
        need = {"read": 0, "submit": 0, "approve": 1, "admin": 2}[action]
        return self.operator or HTTP_ROLES.index(self.role) >= need


def check_issuer_url(issuer: str) -> str:
    """The issuer must be https, except on a loopback address (local issuers in tests)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https":
        return issuer.rstrip("/")
    host = parts.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme == "http" and loopback:
        return issuer.rstrip("/")
    raise ValueError(f"DEVFORGE_OIDC_ISSUER must be https (or http on loopback): {issuer!r}")


def _b64json(part: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def token_header(token: str) -> dict[str, Any]:
    """The checked protected header of a compact JWS (raises Unauthorized)."""
    if len(token) > MAX_TOKEN:
        raise Unauthorized("token too large")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise Unauthorized("not a signed JWT")
    try:
        header = _b64json(parts[0])
    except ValueError:
        raise Unauthorized("unreadable token header") from None
    if header.get("alg") not in ALGORITHMS:
        raise Unauthorized(f"algorithm {header.get('alg')!r} is not accepted")
    carried = sorted({"jwk", "jku", "x5u", "x5c"} & set(header))
    if carried:
        raise Unauthorized(f"keys carried in the token are not accepted ({', '.join(carried)})")
    if "crit" in header:
        raise Unauthorized("critical header extensions are not supported")
    if not isinstance(header.get("kid"), str):
        raise Unauthorized("the token names no key (kid)")
    return header


def _fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as r:
        value = json.loads(r.read(1024 * 1024))
    if not isinstance(value, dict):
        raise ValueError(f"{url}: not a JSON object")
    return value


class OidcVerifier:
    def __init__(self, issuer: str, audience: str, jwks_url: str | None = None) -> None:
        self.issuer = check_issuer_url(issuer)
        self.audience = audience
        self._jwks_url = jwks_url
        self._keys: KeySet | None = None
        self._fetched = 0.0
        self._lock = asyncio.Lock()
        self._claims = JWTClaimsRegistry(
            leeway=LEEWAY_S,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
        )

    def _load(self) -> KeySet:
        url = self._jwks_url
        if not url:
            meta = _fetch_json(f"{self.issuer}/.well-known/openid-configuration")
            if str(meta.get("issuer", "")).rstrip("/") != self.issuer:
                raise ValueError("the discovery document names another issuer")
            url = str(meta["jwks_uri"])
            self._jwks_url = url
        return KeySet.import_key_set(_fetch_json(url))  # type: ignore[arg-type]

    async def _keyset(self, kid: str) -> KeySet:
        async with self._lock:
            known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
            stale = time.monotonic() - self._fetched > REFETCH_AFTER_S
            if self._keys is None or (not known and stale):
                try:
                    self._keys = await asyncio.to_thread(self._load)
                except (OSError, ValueError, KeyError) as exc:
                    if self._keys is None:
                        raise Unauthorized(f"the issuer's keys are unavailable: {exc}") from None
                self._fetched = time.monotonic()
            return self._keys

    async def verify(self, token: str) -> dict[str, Any]:
        header = token_header(token)
        keys = await self._keyset(str(header["kid"]))
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"invalid token: {exc}") from None
        return dict(decoded.claims)


def role_from(claims: dict[str, Any], claim: str | None) -> str:
    """The caller's role from the configured claim; absent or unknown means submitter."""
    value = claims.get(claim) if claim else None
    values = value if isinstance(value, list) else [value]
    found = {_ROLE_ALIASES.get(str(v), str(v)) for v in values if v is not None}
    for role in reversed(HTTP_ROLES):
        if role in found:
            return role
    return "submitter"


def slug_for(external_id: str) -> str:
    """DevForge's tenant id for an issuer's tenant (organisation) id: a readable token, made
    unique by a hash of the original whenever it had to be changed."""
    base = re.sub(r"[^a-z0-9-]+", "-", external_id.lower()).strip("-")[:40].strip("-") or "t"
    if base == external_id and not base.startswith(("dlq", "rpc", "sys")):
        return base
    digest = hashlib.sha256(external_id.encode()).hexdigest()[:8]
    return f"{base}-{digest}"


def same_secret(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
