"""Server-sent events of one job: every event of the job's log, each with its JetStream sequence
as the SSE ``id``, live until the job ends.

One bus subscription per followed job (``Feed``) is fanned out to all its clients. A client
first joins the feed (live events start queueing for it), then reads the log from where it
resumes (``Last-Event-ID``, else the start) until caught up, then drains its queue, skipping
what the log already gave it: no gap, no duplicate, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from shared import subjects as s
from shared.bus import history
from shared.jobstate import ends_job
from shared.natsauth import subscribe_ordered
from shared.policy.secrets import redact

if TYPE_CHECKING:
    from services.gateway.deps import Gateway

KEEPALIVE_S = 15.0
Item = tuple[int, str, bytes]  # (stream sequence, event, payload)


def resume_point(header: str | None) -> int:
    """The sequence after which to resume (``Last-Event-ID``); 0 for the whole log."""
    if header and header.strip().isdigit():
        return int(header.strip())
    return 0


def _event_of(subject: str, tenant: str, job_id: str) -> str:
    return subject[len(s.job_events(tenant, job_id)) - 1 :]


@dataclass
class Feed:
    """The one live subscription of a job, and the queues of the clients following it."""

    clients: set[asyncio.Queue[Item]] = field(default_factory=set)
    sub: Any = None


class Hub:
    def __init__(self) -> None:
        self._feeds: dict[tuple[str, str], Feed] = {}
        self._lock = asyncio.Lock()

    @property
    def followed(self) -> int:
        return len(self._feeds)

    async def join(self, g: Gateway, tenant: str, job_id: str) -> asyncio.Queue[Item]:
        queue: asyncio.Queue[Item] = asyncio.Queue()
        async with self._lock:
            feed = self._feeds.get((tenant, job_id))
            if feed is None:
                feed = Feed()

                async def on_msg(msg: Msg, feed: Feed = feed) -> None:
                    item = (msg.metadata.sequence.stream, _event_of(msg.subject, tenant, job_id))
                    for q in list(feed.clients):
                        q.put_nowait((*item, msg.data))

                feed.sub = await subscribe_ordered(
                    g.bus.js,
                    s.job_events(tenant, job_id),
                    stream=s.JOBS_STREAM,
                    cb=on_msg,
                    deliver_policy=DeliverPolicy.NEW,
                )
                self._feeds[(tenant, job_id)] = feed
            feed.clients.add(queue)
        return queue

    async def leave(self, tenant: str, job_id: str, queue: asyncio.Queue[Item]) -> None:
        async with self._lock:
            feed = self._feeds.get((tenant, job_id))
            if feed is None:
                return
            feed.clients.discard(queue)
            if not feed.clients:
                del self._feeds[(tenant, job_id)]
                with contextlib.suppress(Exception):
                    await feed.sub.unsubscribe()


async def _history(g: Gateway, tenant: str, job_id: str, after: int) -> list[Item]:
    """The job's log after ``after``, up to what the stream holds now."""
    entries = await history.read(g.bus.js, tenant, job_id, after=after, first_wait=0.5)
    return [(e.seq, e.event, json.dumps(e.body).encode()) for e in entries]


def frame(seq: int, event: str, data: bytes) -> bytes:
    body = redact(json.dumps(json.loads(data), separators=(",", ":")))
    return f"id: {seq}\nevent: {event}\ndata: {body}\n\n".encode()


async def stream(
    g: Gateway, hub: Hub, tenant: str, job_id: str, after: int, request: Request
) -> AsyncIterator[bytes]:
    queue = await hub.join(g, tenant, job_id)
    try:
        last = after
        yield b": following\n\n"
        for seq, event, data in await _history(g, tenant, job_id, after):
            if seq <= last:
                continue
            last = seq
            yield frame(seq, event, data)
            if ends_job(event):
                return
        while not await request.is_disconnected():
            try:
                seq, event, data = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if seq <= last:
                continue
            last = seq
            yield frame(seq, event, data)
            if ends_job(event):
                return
    finally:
        await hub.leave(tenant, job_id, queue)


def response(
    g: Gateway, tenant: str, job_id: str, after: int, request: Request
) -> StreamingResponse:
    hub: Hub = request.app.state.hub
    return StreamingResponse(
        stream(g, hub, tenant, job_id, after, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
