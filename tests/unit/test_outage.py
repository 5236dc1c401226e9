"""Which errors are an outage of the bus or the database (waited out) and which are not."""

from __future__ import annotations

import asyncpg
import nats.errors

from shared.outage import is_outage


def test_lost_connections_and_unanswered_requests_are_outages() -> None:
    assert is_outage(asyncpg.exceptions.ConnectionDoesNotExistError("closed"))
    assert is_outage(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert is_outage(asyncpg.InterfaceError("connection is closed"))
    assert is_outage(ConnectionRefusedError(111, "refused"))
    assert is_outage(FileNotFoundError(2, "No such file or directory"))  # the socket file
    assert is_outage(nats.errors.TimeoutError())
    assert is_outage(nats.errors.NoRespondersError())


def test_an_outage_behind_another_error_counts() -> None:
    try:
        try:
            raise nats.errors.ConnectionClosedError()
        except nats.errors.ConnectionClosedError as exc:
            raise RuntimeError("publish failed") from exc
    except RuntimeError as exc:
        assert is_outage(exc)


def test_an_outage_in_a_task_group_counts() -> None:
    assert is_outage(ExceptionGroup("tg", [nats.errors.ConnectionClosedError()]))
    assert not is_outage(ExceptionGroup("tg", [RuntimeError("boom")]))


def test_bugs_files_and_our_own_deadlines_are_not() -> None:
    assert not is_outage(RuntimeError("boom"))
    assert not is_outage(FileNotFoundError(2, "No such file", "/work/shop.py"))
    assert not is_outage(TimeoutError())
    assert not is_outage(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError:
            raise ValueError("bad plan") from None
    except ValueError as exc:
        assert not is_outage(exc)  # the context was suppressed: not the cause
