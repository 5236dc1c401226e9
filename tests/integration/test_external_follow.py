"""An outside NATS client following ``devforge.<tenant>.job.<job_id>.>`` sees every job message,
and each body validates against the committed AsyncAPI schema (strict)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
import nats
import yaml

from services.guard.app import build as build_guard
from shared import subjects as s
from shared.asyncapi import schema_for
from shared.bus.client import Bus, inbox_for
from shared.ids import new_job_id
from shared.messages import JOB_MODELS, TicketSubmitted
from shared.registry import add_tenant
from tests.support.running import collecting, eventually, running, settings
from tests.support.samples import job_samples

DOC = yaml.safe_load((Path(__file__).parents[2] / "docs" / "asyncapi.yaml").read_text())


async def test_outside_client_sees_every_job_message_in_schema(
    bus: Bus, pool: asyncpg.Pool[Any], nats_as: Any, pg_url: str, tmp_path: Path
) -> None:
    """The outside client connects with the tenant's own credentials (its own account)."""
    registered = "ext-a"
    await add_tenant(pool, bus, registered)
    job = new_job_id()
    url = nats_as(f"tenant-{registered}")
    outside = Bus(await nats.connect(url, name="outside-tool", inbox_prefix=inbox_for(url)))
    guard = build_guard()
    guard.settings = settings(nats_as("guard"), pg_url, tmp_path)
    try:
        async with collecting(outside, s.job_events(registered, job)) as col, running(guard):
            await bus.publish_job(
                registered, job, TicketSubmitted(repo="shop", title="x", submitted_by="ann")
            )
            await eventually(lambda: _has(col.subjects(".ticket.accepted")))
            for sample in job_samples():
                if sample.EVENT not in ("ticket.submitted", "ticket.accepted"):
                    await bus.js.publish(s.job(registered, job, _event(sample)), sample.to_bytes())
            await eventually(lambda: _has(len(col.items) >= len(JOB_MODELS)))
    finally:
        await outside.close()
    seen = {s.parse(subject).base_event for subject, _ in col.items}
    assert seen == set(JOB_MODELS)
    for subject, body in col.items:
        jsonschema.Draft202012Validator(schema_for(DOC, s.parse(subject).event)).validate(body)


def _event(sample: object) -> str:
    from shared.bus.client import job_event_name

    return job_event_name(sample)  # type: ignore[arg-type]


async def _has(value: object) -> object:
    return value
