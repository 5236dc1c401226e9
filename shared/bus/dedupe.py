"""Dedupe ids no tenant can predict.

JetStream drops a message whose ``Nats-Msg-Id`` it saw in the stream's window, whichever subject
carried it, and a tenant may set that header on what it publishes to its own subjects. An id
built only from the tenant, job, event and identity could be sent first by another tenant, and
the real message would be dropped. Every id the platform sets therefore ends with an HMAC of
itself under a key the platform's processes share and tenants never see (``platform_secrets``,
made once by whichever process asks first); the id stays deterministic, so a message published
again after a crash is still dropped as a copy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import asyncpg

KEY_NAME = "bus.dedupe"


def sign(key: bytes, base: str) -> str:
    """``base`` with its HMAC suffix (16 hex digits: 64 bits no one can guess)."""
    return f"{base}.{hmac.new(key, base.encode(), hashlib.sha256).hexdigest()[:16]}"


async def load_key(pool: asyncpg.Pool[Any]) -> bytes:
    """The platform's dedupe key, made on first use (concurrent first uses agree on one)."""
    await pool.execute(
        "INSERT INTO platform_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        KEY_NAME,
        secrets.token_bytes(32),
    )
    value = await pool.fetchval("SELECT value FROM platform_secrets WHERE name = $1", KEY_NAME)
    return bytes(value)
