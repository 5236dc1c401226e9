"""Approval requests and their one-time tokens, in the ``approvals`` table.

A request is created by the guard when a plan or step needs a human. A token is a random value
minted for one request (only by the guard, over ``devforge.rpc.guard.mint``); only its SHA-256
is stored, with its bindings and a TTL from minting. Consuming a token is one atomic UPDATE, so of
two concurrent uses exactly one wins. No function here publishes anything.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from shared.ids import new_id

IN_FLIGHT_S = 30.0  # how long a minted, unused token holds a request against a second approver


class ApprovalError(PermissionError):
    """A token or request that cannot be used (the reason says why)."""


@dataclass(frozen=True)
class Request:
    request_id: str
    tenant_id: str
    job_id: str
    kind: str
    step_id: str | None
    tool: str | None
    arguments: dict[str, Any] | None
    args_sha256: str | None
    status: str
    approver: str | None
    break_glass: bool

    @classmethod
    def of(cls, row: asyncpg.Record) -> Request:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Minted:
    token: str
    job_id: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_request(
    conn: Any,
    *,
    tenant: str,
    job_id: str,
    kind: str,
    timeout_s: float,
    summary: str,
    rule_ids: list[str],
    step_id: str | None = None,
    tool: str | None = None,
    arguments: dict[str, Any] | None = None,
    args_sha256: str | None = None,
) -> tuple[str, datetime]:
    """Create (or find, on redelivery) the pending request; return (request id, expiry)."""
    row = await conn.fetchrow(
        "INSERT INTO approvals (request_id, tenant_id, job_id, kind, step_id, tool, arguments, "
        "args_sha256, summary, rule_ids, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, "
        "$8, $9, $10, now() + make_interval(secs => $11)) ON CONFLICT DO NOTHING "
        "RETURNING request_id, expires_at",
        new_id(),
        tenant,
        job_id,
        kind,
        step_id,
        tool,
        arguments,
        args_sha256,
        summary,
        rule_ids,
        timeout_s,
    )
    if row is None:
        row = await conn.fetchrow(
            "SELECT request_id, expires_at FROM approvals WHERE tenant_id = $1 AND job_id = $2 "
            "AND kind = $3 AND step_id IS NOT DISTINCT FROM $4",
            tenant,
            job_id,
            kind,
            step_id,
        )
    return row["request_id"], row["expires_at"]


async def mint(
    pool: asyncpg.Pool[Any],
    *,
    tenant: str,
    request_id: str,
    approver: str,
    minted_by: str,
    ttl_s: float,
    break_glass: bool = False,
) -> Minted:
    """A fresh one-time token for a pending request of ``tenant``. It replaces an unused one
    only once that has been out for ``IN_FLIGHT_S`` (a decision being delivered is never
    undercut: of concurrent approvers exactly one gets a token, the others are told who is
    deciding)."""
    token = secrets.token_urlsafe(32)
    row = await pool.fetchrow(
        "UPDATE approvals SET token_hash = $3, token_expires_at = now() + make_interval(secs => "
        "$4), approver = $5, minted_by = $6, break_glass = $7, minted_at = now() "
        "WHERE request_id = $1 AND tenant_id = $2 AND status = 'pending' AND expires_at > now() "
        "AND (token_hash IS NULL OR token_expires_at < now() "
        "     OR minted_at < now() - make_interval(secs => $8)) "
        "RETURNING token_expires_at, job_id",
        request_id,
        tenant,
        _hash(token),
        ttl_s,
        approver,
        minted_by,
        break_glass,
        IN_FLIGHT_S,
    )
    if row is None:
        raise ApprovalError(await _why_not(pool, tenant, request_id, None))
    return Minted(token, row["job_id"], row["token_expires_at"])


async def consume(
    pool: asyncpg.Pool[Any],
    *,
    tenant: str,
    job_id: str,
    request_id: str,
    token: str,
    grant: bool,
    reason: str = "",
) -> Request:
    """Use a token once: grant or refuse its request. Exactly one concurrent use wins."""
    row = await pool.fetchrow(
        "UPDATE approvals SET status = $5, decided_at = now(), reason = $6 "
        "WHERE request_id = $1 AND tenant_id = $2 AND job_id = $3 AND token_hash = $4 "
        "AND status = 'pending' AND token_expires_at > now() AND expires_at > now() "
        "RETURNING *",
        request_id,
        tenant,
        job_id,
        _hash(token),
        "granted" if grant else "refused",
        reason,
    )
    if row is None:
        raise ApprovalError(await _why_not(pool, tenant, request_id, token, job_id))
    return Request.of(row)


async def _why_not(
    pool: asyncpg.Pool[Any],
    tenant: str,
    request_id: str,
    token: str | None,
    job_id: str | None = None,
) -> str:
    row = await pool.fetchrow(
        "SELECT tenant_id, job_id, status, token_hash, token_expires_at < now() AS token_expired, "
        "expires_at < now() AS expired, approver, "
        "extract(epoch FROM now() - minted_at) AS minted_s, "
        "(token_hash IS NOT NULL AND token_expires_at >= now() "
        " AND minted_at >= now() - make_interval(secs => $2)) AS in_flight "
        "FROM approvals WHERE request_id = $1",
        request_id,
        IN_FLIGHT_S,
    )
    if row is None or row["tenant_id"] != tenant or (job_id and row["job_id"] != job_id):
        return f"no approval request {request_id} for this tenant and job"
    if row["status"] != "pending":
        return f"approval request {request_id} is already {row['status']}"
    if row["expired"]:
        return f"approval request {request_id} has expired"
    if token is None and row["in_flight"]:
        return (
            f"approval request {request_id} is being decided by {row['approver']} (a token "
            f"was minted {row['minted_s']:.0f}s ago); it is not decided twice"
        )
    if token is None:
        return f"approval request {request_id} cannot be minted"
    if row["token_hash"] is None or row["token_hash"] != _hash(token):
        return "the token is not valid for this request"
    if row["token_expired"] is None or row["token_expired"]:
        return "the token has expired"
    return "the token was already used"


async def expire_due(pool: asyncpg.Pool[Any]) -> list[Request]:
    """Mark every pending request past its deadline expired; return them (once each)."""
    rows = await pool.fetch(
        "UPDATE approvals SET status = 'expired', decided_at = now(), reason = 'approval timeout' "
        "WHERE status = 'pending' AND expires_at <= now() RETURNING *"
    )
    return [Request.of(r) for r in rows]


async def get(pool: asyncpg.Pool[Any], tenant: str, request_id: str) -> Request | None:
    row = await pool.fetchrow(
        "SELECT * FROM approvals WHERE request_id = $1 AND tenant_id = $2", request_id, tenant
    )
    return Request.of(row) if row else None
