"""Streams and durables are declared idempotently by the operator, also over an older config."""

from __future__ import annotations

import secrets

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from shared.bus.topology import CONSUMERS, STREAMS, declare
from shared.embedded import servers


async def test_declare_creates_then_updates_an_older_config(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run = tmp_path_factory.mktemp(f"nats-{secrets.token_hex(2)}")
    proc = servers.start_nats(run, servers.plain_config(run / "js"))
    try:
        nc = await nats.connect(proc.url)
        js = nc.jetstream()
        # An older deployment: narrower subjects, short retention, a guard durable with old limits.
        await js.add_stream(
            StreamConfig(name="DEVFORGE_JOBS", subjects=["devforge.*.job.*.ticket.>"], max_age=60)
        )
        await js.add_consumer(
            "DEVFORGE_JOBS",
            ConsumerConfig(
                durable_name="guard",
                filter_subject="devforge.*.job.*.ticket.submitted",
                ack_policy=AckPolicy.EXPLICIT,
                max_deliver=2,
                ack_wait=3,
            ),
        )
        changes = await declare(js, max_deliver=5, ack_wait=30)
        assert "updated stream DEVFORGE_JOBS" in changes
        assert "updated consumer guard" in changes
        assert {c for c in changes if c.startswith("created consumer")} == {
            f"created consumer {d}" for d in CONSUMERS if d != "guard"
        }
        assert await declare(js, max_deliver=5, ack_wait=30) == []
        jobs = await js.stream_info("DEVFORGE_JOBS")
        assert jobs.config.subjects == ["devforge.*.job.>"]
        guard = await js.consumer_info("DEVFORGE_JOBS", "guard")
        assert guard.config.max_deliver == 5 and guard.config.ack_wait == 30
        assert set(guard.config.filter_subjects or []) == set(CONSUMERS["guard"].filter_subjects)
        assert {s.name for s in STREAMS} <= {i.config.name for i in await js.streams_info()}
        await nc.close()
    finally:
        proc.stop()
