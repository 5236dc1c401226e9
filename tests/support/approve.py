"""Approving as the operator would (break-glass): a token minted by the guard over the bus."""

from __future__ import annotations

from shared.bus.client import Bus


async def operator_token(bus: Bus, tenant: str, request_id: str) -> str:
    reply = await bus.mint(
        tenant, request_id, approver="ops", minted_by="operator", break_glass=True
    )
    assert reply.token, reply.error
    return reply.token
