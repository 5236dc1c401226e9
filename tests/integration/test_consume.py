"""The shared consumer runtime against a real nats-server and PostgreSQL: dedupe, retries,
dead letters, bad input."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg

from services.gateway.projector import build as build_projector
from shared import subjects as s
from shared.bus.client import Bus
from shared.bus.topology import ConsumerSpec
from shared.ids import new_job_id
from shared.messages import JobCancelled, TicketSubmitted
from shared.service import Context, Service
from tests.support.running import collecting, eventually, running, settings, stream_messages

TICKET = TicketSubmitted(repo="shop", title="Add /health", body="x", submitted_by="ann")


async def _service(
    bus: Bus,
    tenant: str,
    handler: Any,
    nats_url: str,
    pg_url: str,
    home: Path,
    extra_filters: tuple[str, ...] = (),
    ack_wait: float = 5.0,
) -> Service:
    name = f"svc-{tenant}"
    spec = ConsumerSpec(
        name, s.JOBS_STREAM, [f"devforge.{tenant}.job.*.ticket.submitted", *extra_filters]
    )
    await bus.js.add_consumer(spec.stream, spec.config(max_deliver=3, ack_wait=ack_wait))
    return Service(
        name=name,
        durable=name,
        consumer=spec,
        handlers={"ticket.submitted": handler},
        settings=settings(nats_url, pg_url, home, ack_wait=ack_wait),
    )


async def test_same_message_id_is_processed_once(
    bus: Bus, registered: str, nats_url: str, pg_url: str, tmp_path: Path
) -> None:
    calls: list[str] = []

    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        calls.append(ctx.job_id or "")

    svc = await _service(bus, registered, handler, nats_url, pg_url, tmp_path)
    job = new_job_id()
    first = await bus.publish_job(registered, job, TICKET)
    second = await bus.publish_job(registered, job, TICKET)
    assert not first.duplicate and second.duplicate
    async with running(svc):
        await eventually(lambda: _async(len(calls) >= 1))
        other = new_job_id()
        await bus.publish_job(registered, other, TICKET)
        await eventually(lambda: _async(other in calls))
    assert calls == [job, other]


async def test_idempotency_key_survives_a_new_message_id(
    bus: Bus, registered: str, nats_url: str, pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    """Past the dedupe window the same logical message may arrive again: PostgreSQL keys hold."""
    effects: list[str] = []

    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        if await ctx.once(f"effect.{ctx.job_id}"):
            effects.append(ctx.job_id or "")

    svc = await _service(bus, registered, handler, nats_url, pg_url, tmp_path)
    job = new_job_id()
    await bus.publish_job(registered, job, TICKET, msg_id_override="a")
    await bus.publish_job(registered, job, TICKET, msg_id_override="b")
    async with running(svc):
        await eventually(lambda: _async(svc.stats["handled"] >= 2))
    assert effects == [job]


async def test_a_handler_longer_than_ack_wait_is_not_redelivered(
    bus: Bus, registered: str, nats_url: str, pg_url: str, tmp_path: Path
) -> None:
    """The runtime tells the server the message is in progress while its handler runs, so a
    second instance on the same durable, idle and asking for work, is not given it again."""
    deliveries: list[int] = []

    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        deliveries.append(ctx.num_delivered)
        await asyncio.sleep(4.0)  # more than twice the consumer's ack_wait

    one = await _service(bus, registered, handler, nats_url, pg_url, tmp_path, ack_wait=1.5)
    other = Service(
        name=one.name,
        durable=one.durable,
        consumer=one.consumer,
        handlers=one.handlers,
        settings=one.settings,
    )
    await bus.publish_job(registered, new_job_id(), TICKET)
    async with running(one), running(other):
        await eventually(lambda: _async(one.stats["handled"] + other.stats["handled"] == 1))
        await asyncio.sleep(2.0)  # a redelivery, had there been one, would have started by now
    assert deliveries == [1]


async def test_fails_twice_then_succeeds(
    bus: Bus, registered: str, nats_url: str, pg_url: str, tmp_path: Path
) -> None:
    attempts: list[int] = []

    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        attempts.append(ctx.num_delivered)
        if len(attempts) < 3:
            raise RuntimeError("transient")

    svc = await _service(bus, registered, handler, nats_url, pg_url, tmp_path)
    await bus.publish_job(registered, new_job_id(), TICKET)
    async with running(svc):
        await eventually(lambda: _async(svc.stats["handled"] == 1))
    assert attempts == [1, 2, 3]
    assert svc.stats == {"handled": 1, "retried": 2, "dead": 0}


async def test_an_outage_is_waited_out_in_the_same_delivery(
    bus: Bus, registered: str, nats_url: str, pg_url: str, tmp_path: Path
) -> None:
    """A database cut off mid-handler (more times than max_deliver) costs no attempt."""
    attempts: list[int] = []

    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        attempts.append(ctx.num_delivered)
        if len(attempts) < 5:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")

    svc = await _service(bus, registered, handler, nats_url, pg_url, tmp_path)
    await bus.publish_job(registered, new_job_id(), TICKET)
    async with running(svc):
        await eventually(lambda: _async(svc.stats["handled"] == 1))
    assert attempts == [1, 1, 1, 1, 1]
    assert svc.stats == {"handled": 1, "retried": 0, "dead": 0}


async def test_always_failing_ends_in_dead_letters_and_a_failed_job(
    bus: Bus,
    registered: str,
    nats_url: str,
    pg_url: str,
    pool: asyncpg.Pool[Any],
    tmp_path: Path,
    nats_as: Any,
) -> None:
    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        raise ValueError("the repository is on fire")

    svc = await _service(bus, registered, handler, nats_url, pg_url, tmp_path)
    projector = build_projector()
    projector.settings = settings(nats_as("projector"), pg_url, tmp_path)
    job = new_job_id()
    body = TICKET.to_bytes()
    async with running(projector), running(svc):
        await bus.publish_job(registered, job, TICKET)
        status = await eventually(lambda: _status(pool, job, "failed"), timeout=30)
    assert status == "failed"
    letters = await stream_messages(bus, s.DLQ_STREAM, s.dlq(svc.name))
    assert len(letters) == 1
    letter = letters[0]
    assert letter["num_delivered"] == 3
    assert "failed after 3 attempts" in letter["reason"]
    assert "ValueError: the repository is on fire" in letter["reason"]
    assert letter["payload"].encode() == body
    assert letter["subject"] == s.job(registered, job, "ticket.submitted")
    reason = await pool.fetchval("SELECT failure_reason FROM jobs WHERE id = $1", job)
    assert "the repository is on fire" in reason


async def test_bad_input_is_dead_lettered_and_the_service_keeps_going(
    bus: Bus, registered: str, nats_url: str, pg_url: str, tmp_path: Path
) -> None:
    unknown = f"{registered}-nobody"
    shouting = registered.upper()
    seen: list[str] = []

    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        seen.append(ctx.job_id or "")

    svc = await _service(
        bus,
        registered,
        handler,
        nats_url,
        pg_url,
        tmp_path,
        extra_filters=(
            f"devforge.{unknown}.job.*.ticket.submitted",
            f"devforge.{shouting}.job.*.ticket.submitted",
        ),
    )
    good = new_job_id()
    bad = {
        s.job(registered, new_job_id(), "ticket.submitted"): b"{not json",
        s.job(registered, new_job_id(), "ticket.submitted"): json.dumps(
            {**json.loads(TICKET.to_bytes()), "schema_version": 7}
        ).encode(),
        f"devforge.{registered}.job.not-a-ulid.ticket.submitted": TICKET.to_bytes(),
        f"devforge.{shouting}.job.{new_job_id()}.ticket.submitted": TICKET.to_bytes(),
        s.job(unknown, new_job_id(), "ticket.submitted"): TICKET.to_bytes(),
        # poison that once held a consumer through every redelivery (#21): endless nesting,
        # an endless number, NaN, and a NUL the database refuses
        s.job(registered, new_job_id(), "ticket.submitted"): b"[" * 50_000 + b"]" * 50_000,
        s.job(registered, new_job_id(), "ticket.submitted"): b'{"title": ' + b"9" * 5000 + b"}",
        s.job(registered, new_job_id(), "ticket.submitted"): b'{"title": NaN}',
        s.job(registered, new_job_id(), "ticket.submitted"): json.dumps(
            {**json.loads(TICKET.to_bytes()), "title": "a\x00b"}
        ).encode(),
    }
    for subject, data in bad.items():
        await bus.js.publish(subject, data)
    await bus.publish_job(registered, good, TICKET)
    async with running(svc):
        await eventually(lambda: _async(good in seen))
        letters = await eventually(lambda: _letters(bus, svc.name, len(bad)))
    reasons = {x["subject"]: x["reason"] for x in letters}
    assert set(reasons) == set(bad)
    by_kind = list(reasons.values())
    assert any("invalid JSON" in r for r in by_kind)
    assert any("unknown schema_version 7" in r for r in by_kind)
    assert any("invalid job id 'not-a-ulid'" in r for r in by_kind)
    assert any(f"invalid tenant id '{shouting}'" in r for r in by_kind)
    assert any(f"tenant '{unknown}' is not in the registry" in r for r in by_kind)
    assert any(r.endswith("body nests too deeply") for r in by_kind)
    assert any(r.endswith("body holds a number with too many digits") for r in by_kind)
    assert any(r.endswith("body.title holds NaN (not a JSON number)") for r in by_kind)
    assert any(r.endswith("body.title holds a NUL character") for r in by_kind)
    assert {x["num_delivered"] for x in letters} == {1}  # each on its first delivery
    assert seen == [good]


async def _async(value: Any) -> Any:
    return value


async def _status(pool: asyncpg.Pool[Any], job: str, want: str) -> str | None:
    status = await pool.fetchval("SELECT status FROM jobs WHERE id = $1", job)
    return status if status == want else None


async def _letters(bus: Bus, service: str, n: int) -> list[dict[str, Any]] | None:
    letters = await stream_messages(bus, s.DLQ_STREAM, s.dlq(service))
    return letters if len(letters) >= n else None


__all__ = ["collecting"]


async def test_an_event_with_no_handler_is_dead_lettered_not_dropped(
    bus: Bus, registered: str, nats_url: str, pg_url: str, tmp_path: Path
) -> None:
    async def handler(ctx: Context, msg: TicketSubmitted) -> None:
        pass

    svc = await _service(
        bus,
        registered,
        handler,
        nats_url,
        pg_url,
        tmp_path,
        extra_filters=(f"devforge.{registered}.job.*.job.cancelled",),
    )
    await bus.publish_job(registered, new_job_id(), JobCancelled(by="ann"))
    async with running(svc):
        letters = await eventually(lambda: _letters(bus, svc.name, 1))
    assert (
        letters[0]["reason"]
        == f"{svc.name} has no handler for job.cancelled (its filter delivered it)"
    )
