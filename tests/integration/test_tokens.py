"""Approval tokens, red-teamed against the real database: forged, replayed, swapped, expired,
cross-tenant, cross-job, concurrent, re-minted, after a decision, after a timeout."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from nacl.signing import SigningKey

from shared import approvals
from shared.approvals import ApprovalError
from shared.decisions import DecisionInvalid, Signer, Verifier
from shared.ids import new_job_id


@dataclass
class World:
    pool: asyncpg.Pool[Any]
    tenant: str
    other_tenant: str
    job: str
    step_req: str
    plan_req: str
    other_job_req: str

    async def mint(self, request: str, tenant: str | None = None, ttl: float = 60) -> str:
        m = await approvals.mint(
            self.pool,
            tenant=tenant or self.tenant,
            request_id=request,
            approver="ann",
            minted_by="gateway",
            ttl_s=ttl,
        )
        return m.token

    async def use(
        self,
        request: str,
        token: str,
        *,
        tenant: str | None = None,
        job: str | None = None,
        grant: bool = True,
    ) -> approvals.Request:
        return await approvals.consume(
            self.pool,
            tenant=tenant or self.tenant,
            job_id=job or self.job,
            request_id=request,
            token=token,
            grant=grant,
        )


async def _open(
    pool: Any, tenant: str, job: str, kind: str, step: str | None, timeout: float = 60
) -> str:
    async with pool.acquire() as conn:
        rid, _ = await approvals.open_request(
            conn,
            tenant=tenant,
            job_id=job,
            kind=kind,
            step_id=step,
            timeout_s=timeout,
            tool="run_command" if step else None,
            arguments={"command": "git push origin main"} if step else None,
            summary="x",
            rule_ids=["r"],
        )
    return rid


@pytest.fixture
async def world(pool: asyncpg.Pool[Any], tenant: str) -> World:
    job, other_job = new_job_id(), new_job_id()
    return World(
        pool=pool,
        tenant=tenant,
        other_tenant=f"{tenant}-x",
        job=job,
        step_req=await _open(pool, tenant, job, "step", "s1"),
        plan_req=await _open(pool, tenant, job, "plan", None),
        other_job_req=await _open(pool, tenant, other_job, "step", "s1"),
    )


Case = Callable[[World], Awaitable[None]]


async def valid_token_grants(w: World) -> None:
    req = await w.use(w.step_req, await w.mint(w.step_req))
    assert req.status == "granted" and req.approver == "ann"


async def forged_token(w: World) -> None:
    await w.mint(w.step_req)
    await w.use(w.step_req, secrets.token_urlsafe(32))


async def replayed_token(w: World) -> None:
    token = await w.mint(w.step_req)
    await w.use(w.step_req, token)
    await w.use(w.step_req, token)


async def token_of_another_request(w: World) -> None:
    await w.mint(w.step_req)
    await w.use(w.step_req, await w.mint(w.plan_req))


async def expired_token(w: World) -> None:
    token = await w.mint(w.step_req, ttl=0.05)
    await asyncio.sleep(0.2)
    await w.use(w.step_req, token)


async def used_from_another_tenant(w: World) -> None:
    await w.use(w.step_req, await w.mint(w.step_req), tenant=w.other_tenant)


async def minted_by_another_tenant(w: World) -> None:
    await w.mint(w.step_req, tenant=w.other_tenant)


async def used_on_another_job(w: World) -> None:
    await w.use(w.other_job_req, await w.mint(w.other_job_req), job=w.job)


async def remint_while_in_flight_is_refused(w: World) -> None:
    await w.mint(w.step_req)  # a decision on its way: a second approver does not undercut it
    await w.mint(w.step_req)


async def remint_after_the_window_invalidates_the_first(w: World) -> None:
    first = await w.mint(w.step_req)
    await w.pool.execute(  # the first token was left unused past the in-flight window
        "UPDATE approvals SET minted_at = now() - make_interval(secs => $2) WHERE request_id = $1",
        w.step_req,
        approvals.IN_FLIGHT_S + 1,
    )
    await w.mint(w.step_req)
    await w.use(w.step_req, first)


async def mint_after_decision(w: World) -> None:
    await w.use(w.step_req, await w.mint(w.step_req))
    await w.mint(w.step_req)


async def mint_after_timeout(w: World) -> None:
    req = await _open(w.pool, w.tenant, w.job, "step", "s9", timeout=0.05)
    await asyncio.sleep(0.2)
    await approvals.expire_due(w.pool)
    await w.mint(req)


async def use_after_timeout(w: World) -> None:
    req = await _open(w.pool, w.tenant, w.job, "step", "s8", timeout=0.3)
    token = await w.mint(req)
    await asyncio.sleep(0.5)
    await w.use(req, token)


async def refusal_consumes_the_token(w: World) -> None:
    token = await w.mint(w.step_req)
    assert (await w.use(w.step_req, token, grant=False)).status == "refused"
    await w.use(w.step_req, token)


async def unknown_request(w: World) -> None:
    await w.mint("nope")


async def concurrent_uses_one_wins(w: World) -> None:
    token = await w.mint(w.step_req)

    async def attempt() -> bool:
        try:
            await w.use(w.step_req, token)
            return True
        except ApprovalError:
            return False

    wins = await asyncio.gather(*(attempt() for _ in range(10)))
    assert wins.count(True) == 1


async def release_signs_the_stored_arguments(w: World) -> None:
    """The guard signs the arguments it held, so a token can't approve swapped arguments."""
    req = await w.use(w.step_req, await w.mint(w.step_req))
    s = Signer(SigningKey.generate())
    assert req.arguments is not None and req.tool and req.step_id
    sig = s.sign(w.tenant, w.job, req.step_id, req.tool, req.arguments)
    Verifier([s.public_key]).verify(
        tenant=w.tenant,
        job_id=w.job,
        step_id=req.step_id,
        tool=req.tool,
        arguments={"command": "git push origin main"},
        signature=sig.signature,
        signed_key_id=sig.key_id,
        signed_args_sha256=sig.args_sha256,
    )
    Verifier([s.public_key]).verify(
        tenant=w.tenant,
        job_id=w.job,
        step_id=req.step_id,
        tool=req.tool,
        arguments={"command": "git push --force origin main"},
        signature=sig.signature,
        signed_key_id=sig.key_id,
        signed_args_sha256=sig.args_sha256,
    )


# (case, the refusal it must end in; None: it must succeed)
CASES: list[tuple[Case, str | None]] = [
    (valid_token_grants, None),
    (forged_token, "not valid"),
    (replayed_token, "already granted"),
    (token_of_another_request, "not valid"),
    (expired_token, "expired"),
    (used_from_another_tenant, "no approval request"),
    (minted_by_another_tenant, "no approval request"),
    (used_on_another_job, "no approval request"),
    (remint_while_in_flight_is_refused, "is being decided by"),
    (remint_after_the_window_invalidates_the_first, "not valid"),
    (mint_after_decision, "already granted"),
    (mint_after_timeout, "already expired"),
    (use_after_timeout, "expired"),
    (refusal_consumes_the_token, "already refused"),
    (unknown_request, "no approval request"),
    (concurrent_uses_one_wins, None),
    (release_signs_the_stored_arguments, "arguments differ"),
]


@pytest.mark.parametrize(("case", "refusal"), CASES, ids=[c.__name__ for c, _ in CASES])
async def test_token_case(case: Case, refusal: str | None, world: World) -> None:
    if refusal is None:
        await case(world)
        return
    with pytest.raises((ApprovalError, DecisionInvalid), match=refusal):
        await case(world)
