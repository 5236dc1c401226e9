"""Server-sent events of one job: every event of the job's log, each with its JetStream sequence
as the SSE ``id``, live until the job ends.

One bus subscription per followed job (``Feed``: an ordered consumer over the job's log from
its start, then live) is fanned out to all its clients. A client joining gets what the feed
holds so far and a queue of what follows, taken together with nothing in between; it sends
what lies after its resume point (``Last-Event-ID``, else everything): no gap, no duplicate, in
order, and no per-client read of the stream.
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
from shared.jobstate import ends_job
from shared.natsauth import subscribe_ordered
from shared.observe.metrics import SSE_CLIENTS, SSE_CONNECTIONS
from shared.policy.secrets import redact

if TYPE_CHECKING:
    from services.gateway.deps import Gateway

KEEPALIVE_S = 15.0
Item = tuple[int, str, bytes]  # (stream sequence, event, the SSE frame, made once for all)


def resume_point(header: str | None) -> int:
    """The sequence after which to resume (``Last-Event-ID``); 0 for the whole log."""
    if header and header.strip().isdigit():
        return int(header.strip())
    return 0


def _event_of(subject: str, tenant: str, job_id: str) -> str:
    return subject[len(s.job_events(tenant, job_id)) - 1 :]


@dataclass
class Feed:
    """The one subscription of a followed job: its log from the start, then live. What has
    arrived is kept (``backlog``) so that a client joining or resuming is served from memory."""

    backlog: list[Item] = field(default_factory=list)
    clients: set[asyncio.Queue[Item]] = field(default_factory=set)
    sub: Any = None


class Hub:
    def __init__(self) -> None:
        self._feeds: dict[tuple[str, str], Feed] = {}
        self._lock = asyncio.Lock()

    @property
    def followed(self) -> int:
        return len(self._feeds)

    async def join(
        self, g: Gateway, tenant: str, job_id: str
    ) -> tuple[list[Item], asyncio.Queue[Item]]:
        """(what the job logged so far, a queue of everything after it)."""
        queue: asyncio.Queue[Item] = asyncio.Queue()
        async with self._lock:
            feed = self._feeds.get((tenant, job_id))
            if feed is None:
                feed = Feed()

                async def on_msg(msg: Msg, feed: Feed = feed) -> None:
                    event = _event_of(msg.subject, tenant, job_id)
                    seq = msg.metadata.sequence.stream
                    item = (seq, event, frame(seq, event, msg.data))
                    feed.backlog.append(item)
                    for q in list(feed.clients):
                        q.put_nowait(item)

                feed.sub = await subscribe_ordered(
                    g.bus.js,
                    s.job_events(tenant, job_id),
                    stream=s.JOBS_STREAM,
                    cb=on_msg,
                    deliver_policy=DeliverPolicy.ALL,
                )
                self._feeds[(tenant, job_id)] = feed
            # No await between the snapshot and joining: nothing falls between the two.
            snapshot = list(feed.backlog)
            feed.clients.add(queue)
        return snapshot, queue

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


def frame(seq: int, event: str, data: bytes) -> bytes:
    body = redact(json.dumps(json.loads(data), separators=(",", ":")))
    return f"id: {seq}\nevent: {event}\ndata: {body}\n\n".encode()


def _after(items: list[Item], last: int) -> tuple[bytes, int, bool]:
    """(frames of the items past ``last`` in one chunk, the new last sequence, job ended)."""
    out: list[bytes] = []
    for seq, event, data in items:
        if seq <= last:
            continue
        last = seq
        out.append(data)
        if ends_job(event):
            return b"".join(out), last, True
    return b"".join(out), last, False


async def stream(
    g: Gateway, hub: Hub, tenant: str, job_id: str, after: int
) -> AsyncIterator[bytes]:
    """The frames of one client. Whatever has queued up goes out as one chunk (one write per
    wake-up, not per event). Starlette cancels this generator when the client disconnects."""
    snapshot, queue = await hub.join(g, tenant, job_id)
    SSE_CONNECTIONS.inc()
    SSE_CLIENTS.inc()
    try:
        chunk, last, ended = _after(snapshot, after)
        yield b": following\n\n" + chunk
        while not ended:
            try:
                async with asyncio.timeout(KEEPALIVE_S):
                    items = [await queue.get()]
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            while not queue.empty():
                items.append(queue.get_nowait())
            chunk, last, ended = _after(items, last)
            if chunk:
                yield chunk
    finally:
        SSE_CLIENTS.dec()
        await hub.leave(tenant, job_id, queue)


def response(
    g: Gateway, tenant: str, job_id: str, after: int, request: Request
) -> StreamingResponse:
    hub: Hub = request.app.state.hub
    return StreamingResponse(
        stream(g, hub, tenant, job_id, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
