"""A tenant attacking another through the bus with its own credentials (#21), from nats-py and from
the official JavaScript client: a dedupe id it sets on its own subjects can no longer swallow the
other tenant's messages, and a poison message holds no consumer."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import nats

from shared import subjects as s
from shared.bus import dedupe
from shared.bus.client import Bus, inbox_for, msg_id
from shared.bus.topology import ConsumerSpec
from shared.ids import new_job_id
from shared.messages import ApprovalGranted, JobCancelled
from shared.registry import add_tenant
from shared.service import Context, Service
from tests.conftest import EXTERNAL_TENANTS
from tests.support.running import eventually, running, settings, stream_messages

ROOT = Path(__file__).resolve().parents[2]


async def test_a_tenant_cannot_forge_another_tenants_dedupe_id(
    nats_as: Callable[[str], str], pool: asyncpg.Pool[Any], bus: Bus
) -> None:
    a, b = EXTERNAL_TENANTS
    victim_cancel = JobCancelled(by="bob", reason="not needed")
    url = nats_as(f"tenant-{a}")
    attacker = await nats.connect(url, inbox_prefix=inbox_for(url))
    try:
        js = attacker.jetstream()

        async def forge(job_b: str) -> None:
            """A publishes on a subject it may publish on (its own job's approval.granted) with
            the id B's cancel would get, were ids only the tenant, job, event and identity (all
            A can know); JetStream's dedupe window spans every subject of the stream."""
            forged = msg_id(b, job_b, "job.cancelled", victim_cancel)
            own = s.job(a, new_job_id(), "approval.granted")
            body = b'{"request_id": "r1", "token": "t-0123456789abcdef"}'
            ack = await js.publish(own, body, headers={"Nats-Msg-Id": forged}, timeout=5)
            assert not ack.duplicate

        # Without the platform's key (as before): B's cancel is swallowed as a copy.
        unkeyed = Bus(bus.nc, service="gateway")
        job_b = new_job_id()
        await forge(job_b)
        swallowed = await unkeyed.publish_job(b, job_b, victim_cancel)
        assert swallowed.duplicate
        # With it (every platform process loads the same key): stored.
        platform = Bus(bus.nc, service="gateway", dedupe_key=await dedupe.load_key(pool))
        job_b = new_job_id()
        await forge(job_b)
        stored = await platform.publish_job(b, job_b, victim_cancel)
        assert not stored.duplicate
        # ... and still deterministic: the same message again is one message.
        again = await Bus(
            bus.nc, service="cli", dedupe_key=await dedupe.load_key(pool)
        ).publish_job(b, job_b, victim_cancel)
        assert again.duplicate
    finally:
        await attacker.close()


# ------------------------------------------------- the same attacks from the JavaScript client

NATSJS = ROOT / "tests" / "natsjs"


def _natsjs() -> str:
    """node, with the official JavaScript NATS client installed beside the attack script."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "node and npm are needed for the JavaScript client's attacks"
    if not (NATSJS / "node_modules" / "nats").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=NATSJS, check=True, timeout=300
        )
    return node


async def js_publish(url: str, subject: str, body: bytes, msg_id: str = "") -> dict[str, Any]:
    """Publish through JetStream as the tenant of ``url``, with the JavaScript client."""
    node = _natsjs()
    argv = [node, str(NATSJS / "attack.mjs"), url, inbox_for(url), "publish", subject]
    done = await asyncio.to_thread(
        subprocess.run,
        [*argv, *([msg_id] if msg_id else [])],
        input=body,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return dict(json.loads(done.stdout.decode().strip().splitlines()[-1]))


async def test_the_javascript_client_cannot_forge_another_tenants_dedupe_id(
    nats_as: Callable[[str], str], pool: asyncpg.Pool[Any], bus: Bus
) -> None:
    a, b = EXTERNAL_TENANTS
    victim = JobCancelled(by="bob", reason="not needed")
    platform = Bus(bus.nc, service="gateway", dedupe_key=await dedupe.load_key(pool))
    job_b = new_job_id()
    # Every id A could predict for B's cancel: the old shape, and the unkeyed one of today.
    for forged in (
        f"{b}.{job_b}.job.cancelled.gateway",
        msg_id(b, job_b, "job.cancelled", victim),
    ):
        own = s.job(a, new_job_id(), "approval.granted")
        ack = await js_publish(nats_as(f"tenant-{a}"), own, b'{"request_id": "r1"}', forged)
        assert ack["stream"] == s.JOBS_STREAM and not ack["duplicate"]
    stored = await platform.publish_job(b, job_b, victim)
    assert not stored.duplicate  # B's cancel is stored, whatever A sent


async def test_poison_from_the_javascript_client_is_dead_lettered_on_its_first_delivery(
    nats_as: Callable[[str], str],
    pool: asyncpg.Pool[Any],
    bus: Bus,
    nats_url: str,
    pg_url: str,
    tmp_path: Path,
) -> None:
    """A's endless nesting on its own approval.granted holds no consumer: dead-lettered with
    its reason on the first delivery, and the next message flows at once."""
    a, _ = EXTERNAL_TENANTS
    await add_tenant(pool, None, a)
    seen: list[str] = []

    async def granted(ctx: Context, msg: ApprovalGranted) -> None:
        seen.append(msg.request_id)

    name = f"svc-js-{secrets.token_hex(3)}"
    poison = s.job(a, new_job_id(), "approval.granted")
    after = s.job(a, new_job_id(), "approval.granted")
    spec = ConsumerSpec(name, s.JOBS_STREAM, [poison, after])  # this test's messages only
    await bus.js.add_consumer(spec.stream, spec.config(max_deliver=5, ack_wait=30))
    svc = Service(
        name=name,
        durable=name,
        consumer=spec,
        handlers={"approval.granted": granted},
        settings=settings(nats_url, pg_url, tmp_path, ack_wait=30),
    )
    url = nats_as(f"tenant-{a}")
    await js_publish(url, poison, b"[" * 50_000 + b"]" * 50_000)
    fine = ApprovalGranted(request_id="after-the-poison", token="t-0123456789abcdef")
    await js_publish(url, after, fine.to_bytes())
    async with running(svc):
        await eventually(lambda: _now("after-the-poison" in seen), timeout=20)
        letters = await eventually(lambda: _letters(bus, name), timeout=20)
    assert letters is not None
    assert len(letters) == 1, [(x["subject"], x["reason"]) for x in letters]
    (letter,) = letters
    assert letter["subject"] == poison and letter["num_delivered"] == 1
    assert letter["reason"].endswith("body nests too deeply"), letter


async def _now(value: bool) -> bool:
    return value


async def _letters(bus: Bus, service: str) -> list[dict[str, Any]] | None:
    letters = await stream_messages(bus, s.DLQ_STREAM, s.dlq(service))
    return letters or None
