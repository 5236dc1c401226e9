"""Which errors mean "the bus or the database is unreachable right now" (a restart, a network
blip) rather than "this message cannot be handled": those are waited out, never dead-lettered."""

from __future__ import annotations

import asyncpg
import nats.errors
import nats.js.errors

OUTAGES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # "connection is closed": a pooled connection lost mid-query
    asyncpg.exceptions.OperatorInterventionError,  # "terminating connection" at a shutdown
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.StaleConnectionError,
    nats.errors.NoRespondersError,  # JetStream not back yet after a server restart
    nats.errors.TimeoutError,  # an acknowledgement or a reply that never came
    nats.js.errors.ServiceUnavailableError,
)


def _one(exc: BaseException) -> bool:
    if isinstance(exc, OUTAGES):
        return True
    if isinstance(exc, TimeoutError):  # our own deadlines (a decision never came) are not
        return False
    # A socket refused, reset or missing (PostgreSQL's socket file while it restarts), never
    # a file of a worktree (those errors name their file).
    return isinstance(exc, OSError) and exc.filename is None


def is_outage(exc: BaseException) -> bool:
    """True for an outage, also when it is the cause or context of ``exc`` or in an exception
    group (the MCP client's task group wraps what a tool call's body raised)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if _one(cur):
            return True
        if isinstance(cur, BaseExceptionGroup) and any(is_outage(e) for e in cur.exceptions):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or (None if cur.__suppress_context__ else cur.__context__)
    return False
