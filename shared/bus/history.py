"""A job's event log, read back from the jobs stream (an ephemeral ordered consumer).

Services rebuild what they need from it: the lead finds the ticket, the conductor the plan, an
agent taking over a job the turns and tool results recorded before a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from shared import subjects as s
from shared.natsauth import subscribe_ordered


@dataclass(frozen=True)
class Entry:
    seq: int
    event: str  # e.g. "ticket.submitted", "task.ready.backend"
    body: dict[str, Any]


async def read(
    js: JetStreamContext,
    tenant: str,
    job_id: str,
    *,
    event: str | None = None,
    after: int = 0,
    first_wait: float = 1.0,
    timeout: float = 30.0,
) -> list[Entry]:
    """Every stored message of one job (or one of its events), in stream order; with ``after``,
    only those after that stream sequence."""
    subject = s.job(tenant, job_id, event) if event else s.job_events(tenant, job_id)
    prefix_len = len(s.job_events(tenant, job_id)) - 1
    out: list[Entry] = []
    done = asyncio.Event()

    async def on_msg(msg: Msg) -> None:
        md = msg.metadata
        try:
            body = json.loads(msg.data)
        except ValueError:
            body = {}
        out.append(Entry(md.sequence.stream, msg.subject[prefix_len:], body))
        if md.num_pending == 0:
            done.set()

    sub = await subscribe_ordered(
        js,
        subject,
        stream=s.JOBS_STREAM,
        cb=on_msg,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE if after else None,
        opt_start_seq=after + 1 if after else None,
    )
    try:
        try:
            await asyncio.wait_for(done.wait(), first_wait)
        except TimeoutError:
            if not out:
                return []  # nothing stored for this subject
            await asyncio.wait_for(done.wait(), timeout)
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    return out


def first(entries: list[Entry], event: str) -> dict[str, Any] | None:
    return next((e.body for e in entries if e.event == event), None)


def last(entries: list[Entry], event: str) -> dict[str, Any] | None:
    return next((e.body for e in reversed(entries) if e.event == event), None)
