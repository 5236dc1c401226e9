"""Test helpers: run a service in-process, wait for a condition, collect bus messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from nats.js.api import DeliverPolicy

from shared.bus.client import Bus
from shared.service import Service
from shared.settings import Settings

T = TypeVar("T")


def settings(nats_url: str, pg_url: str, home: Path, **kw: Any) -> Settings:
    base: dict[str, Any] = {"max_deliver": 3, "retry_delay": 0.05, "ack_wait": 5.0}
    base.update(kw)
    return Settings(nats_url=nats_url, database_url=pg_url, home=home, **base)


@asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    app = service.app()
    async with app:
        yield service


async def eventually(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 20.0, interval: float = 0.05
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with its last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: T = await probe()
    while not last:
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {last!r})")
        await asyncio.sleep(interval)
        last = await probe()
    return last


class Collector:
    """A core NATS subscription that keeps (subject, body) pairs."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []

    def subjects(self, suffix: str = "") -> list[str]:
        return [s for s, _ in self.items if s.endswith(suffix)]


@asynccontextmanager
async def collecting(bus: Bus, subject: str) -> AsyncIterator[Collector]:
    col = Collector()

    async def on_msg(msg: Any) -> None:
        try:
            col.items.append((msg.subject, json.loads(msg.data)))
        except ValueError:
            col.items.append((msg.subject, {"_raw": msg.data.decode(errors="replace")}))

    sub = await bus.nc.subscribe(subject, cb=on_msg)
    await bus.nc.flush()
    try:
        yield col
    finally:
        await sub.unsubscribe()


async def stream_messages(bus: Bus, stream: str, subject: str) -> list[dict[str, Any]]:
    """Every message on ``subject`` stored in ``stream`` (an ordered, ephemeral read)."""
    info = await bus.js.stream_info(stream, subjects_filter=subject)
    total = sum((info.state.subjects or {}).values()) if info.state.subjects else 0
    if total == 0:
        return []
    sub = await bus.js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    out = []
    try:
        while len(out) < total:
            msg = await sub.next_msg(timeout=5)
            out.append(json.loads(msg.data))
    finally:
        await sub.unsubscribe()
    return out
