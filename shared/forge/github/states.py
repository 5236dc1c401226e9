"""The install flow's ``state``: issued to one tenant admin before the trip to GitHub's install
page, required back by the setup callback from the same tenant and admin, unexpired, once.

Only a SHA-256 of each state is stored; taking a state deletes it whoever asks, so a state
that reached anyone else is spent on first use.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import asyncpg

TTL_S = 600  # GitHub's own codes last ten minutes: the whole trip fits in that


class BadState(Exception):
    """The state is unknown, used, expired, or another tenant's or admin's."""


def digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def verdict(row: tuple[str, str, bool] | None, tenant: str, subject: str) -> str | None:
    """Why a taken state does not let this caller in (None: it does). ``row`` is the stored
    (tenant, subject, expired) of the state, or None when no such state was waiting."""
    if row is None:
        return "this install state is unknown or was already used: start again"
    owner, issued_to, expired = row
    if owner != tenant or issued_to != subject:
        return "this install state was issued to another tenant or user"
    if expired:
        return "this install state has expired: start again"
    return None


async def issue(pool: asyncpg.Pool[Any], tenant: str, subject: str, ttl_s: int = TTL_S) -> str:
    state = secrets.token_urlsafe(32)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM github_install_states WHERE expires_at < now()")
        await conn.execute(
            "INSERT INTO github_install_states (state_hash, tenant_id, subject, expires_at) "
            "VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
            digest(state),
            tenant,
            subject,
            float(ttl_s),
        )
    return state


async def take(pool: asyncpg.Pool[Any], state: str, tenant: str, subject: str) -> None:
    """Spend the state; raise BadState unless it was this caller's and still fresh."""
    row = await pool.fetchrow(
        "DELETE FROM github_install_states WHERE state_hash = $1 "
        "RETURNING tenant_id, subject, expires_at < now() AS expired",
        digest(state),
    )
    why = verdict(None if row is None else (row[0], row[1], row[2]), tenant, subject)
    if why is not None:
        raise BadState(why)
