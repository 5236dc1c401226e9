"""A publish while the server's streams are not answering yet (a server just started or
restarted) waits for them instead of failing the caller with an empty reply."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from nats.js.api import StreamConfig
from nats.js.errors import NoStreamResponseError

from shared import subjects as s
from shared.bus.client import Bus
from shared.embedded import servers
from shared.ids import new_job_id
from shared.messages import TenantCreated, TicketAccepted


async def test_a_publish_waits_for_the_stream_and_lands_once(tmp_path: Path) -> None:
    nats = servers.start_nats(tmp_path / "nats", servers.plain_config(tmp_path / "js"))
    bus = await Bus.connect(nats.url)
    try:
        msg = TenantCreated(tenant="acme", name="acme")

        async def declare_later() -> None:
            await asyncio.sleep(0.5)
            await bus.js.add_stream(StreamConfig(name="REG", subjects=s.REGISTRY_SUBJECTS))

        later = asyncio.create_task(declare_later())
        ack = await bus.publish_tenant_created("acme", msg)
        await later
        assert ack.stream == "REG" and not ack.duplicate
        again = await bus.publish_tenant_created("acme", msg)
        assert again.duplicate  # a retried publish is deduplicated by its message id
        with pytest.raises((NoStreamResponseError, json.JSONDecodeError)):  # still none: it fails
            await bus.publish_job("acme", new_job_id(), TicketAccepted())
    finally:
        await bus.close()
        nats.stop()
