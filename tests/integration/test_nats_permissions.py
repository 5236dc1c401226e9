"""The bus security model against a real nats-server running the generated configuration.

Refusals are observed as the server reports them: nats-server answers a forbidden PUB or SUB
with ``-ERR 'Permissions Violation for Publish to "<subject>"'`` (or ``Subscription to``), which
nats-py hands to the ``error_cb``; the refused request or publish never gets an answer or PubAck.
Each check waits for that exact error and then makes sure nothing reached the streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, RePublish, StreamConfig
from typer.testing import CliRunner

from shared import subjects as s
from shared.bus.topology import CONSUMERS, declare
from shared.cli.nats_cmds import nats_app
from shared.ids import new_job_id
from shared.natsauth import (
    GUARD_DECISIONS,
    IDENTITIES,
    OPERATOR,
    SERVICE_IDENTITIES,
    TENANT_JS_API_PREFIX,
    Credentials,
    inbox_prefix,
    is_inbox_subject,
    render_config,
    subscribe_ordered,
    tenant_user,
    url_with_user,
)
from shared.roles import ENGINEER_ROLES
from tests.support.natsproc import start_nats_server, stop_nats_server

JOB_A = new_job_id()
JOB_B = new_job_id()
ACME, BETA = "acme", "beta"
TA, TB = tenant_user(ACME), tenant_user(BETA)


@dataclass
class Stack:
    home: Path
    url: str
    creds: Credentials
    proc: subprocess.Popen[bytes]
    config: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("natsperm")
    creds = Credentials.load_or_create(home / "nats" / "credentials.json")
    creds.ensure_tenant(ACME)
    creds.ensure_tenant(BETA)
    text = render_config(host="127.0.0.1", port=-1, store_dir=home / "jetstream", creds=creds)
    proc, url = start_nats_server(home / "server", text)
    try:
        yield Stack(home, url, creds, proc, home / "server" / "nats.conf")
    finally:
        stop_nats_server(proc)


@dataclass
class Client:
    """One connection under one identity, collecting the server's errors."""

    user: str
    nc: NATS = field(default_factory=NATS)
    errors: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_error(self, exc: Exception) -> None:
        self.errors.append(str(exc))
        self.changed.set()

    @property
    def js(self) -> JetStreamContext:
        prefix = TENANT_JS_API_PREFIX if self.user.startswith("tenant-") else "$JS.API"
        return self.nc.jetstream(prefix=prefix, timeout=5)

    async def violation(self, what: str, since: int, timeout: float = 5.0) -> str:
        """Wait for ``Permissions Violation for <what>`` reported after error ``since``."""
        deadline = time.monotonic() + timeout
        while True:
            for err in self.errors[since:]:  # nats-py lower-cases the server's text
                if "permissions violation" in err.lower() and what.lower() in err.lower():
                    return err
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.user}: no violation for {what}; got {self.errors}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


async def connect(stack: Stack, user: str, **kw: Any) -> Client:
    c = Client(user)
    await c.nc.connect(
        stack.url,
        user=user,
        password=stack.creds.password(user),
        inbox_prefix=inbox_prefix(user),
        error_cb=c.on_error,
        allow_reconnect=False,
        name=user,
        **kw,
    )
    return c


@contextlib.asynccontextmanager
async def connected(stack: Stack, *users: str) -> AsyncIterator[list[Client]]:
    clients = [await connect(stack, u) for u in users]
    try:
        yield clients
    finally:
        for c in clients:
            with contextlib.suppress(Exception):
                await c.nc.close()


async def refused(c: Client, subject: str, call: Awaitable[Any]) -> None:
    """``call`` publishes to ``subject``: the server must refuse it and nothing may answer."""
    since = len(c.errors)
    task = asyncio.ensure_future(call)
    try:
        await c.violation(f'Publish to "{subject}"', since)
        await asyncio.sleep(0)
        if task.done() and not task.cancelled() and task.exception() is None:
            raise AssertionError(f"{c.user}: {subject} was refused but answered {task.result()}")
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def refused_pub(c: Client, subject: str, data: bytes = b"{}") -> None:
    await refused(c, subject, c.js.publish(subject, data, timeout=5))


async def refused_sub(c: Client, subject: str) -> None:
    since = len(c.errors)
    await c.nc.subscribe(subject)
    await c.nc.flush()
    await c.violation(f'Subscription to "{subject}"', since)


async def stored(stream: str, subject: str, op: Client) -> int:
    info = await op.js.stream_info(stream, subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


@pytest.fixture(scope="module")
async def seeded(stack: Stack) -> Stack:
    """Streams and durables declared by the operator; one message waiting on every durable."""
    async with connected(stack, OPERATOR) as (op,):
        await declare(op.js, max_deliver=5, ack_wait=30)
        events = [
            "ticket.submitted",
            "ticket.accepted",
            "plan.approved",
            "work.done",
            "qa.passed",
            "model.turn",
            *(f"task.ready.{r}" for r in ENGINEER_ROLES),
        ]
        for event in events:
            await op.js.publish(s.job(ACME, JOB_A, event), b"{}")
        await op.js.publish(s.job(BETA, JOB_B, "model.turn"), b'{"secret": "beta"}')
        await op.js.publish(s.repo(ACME, "repo1", "connected"), b"{}")
        for durable, spec in CONSUMERS.items():
            info = await op.js.consumer_info(spec.stream, durable)
            assert info.num_pending >= 1, durable
    return stack


NON_GUARD = [i for i in SERVICE_IDENTITIES if i != "guard"]


# ---- acceptance 1: decisions are the guard's alone ------------------------------------------


@pytest.mark.parametrize("identity", [*NON_GUARD, TA])
async def test_only_the_guard_publishes_decisions(seeded: Stack, identity: str) -> None:
    job = new_job_id()
    async with connected(seeded, identity, OPERATOR) as (c, op):
        for event in GUARD_DECISIONS:
            subject = s.job(ACME, job, event)
            await refused_pub(c, subject)  # JetStream publish: refused, no PubAck
            since = len(c.errors)
            await c.nc.publish(subject, b"{}")  # core publish: refused as well
            await c.nc.flush()
            await c.violation(f'Publish to "{subject}"', since)
            assert await stored(s.JOBS_STREAM, subject, op) == 0


async def test_guard_publishes_decisions(seeded: Stack) -> None:
    async with connected(seeded, "guard") as (guard,):
        for event in GUARD_DECISIONS:
            ack = await guard.js.publish(s.job(ACME, JOB_A, event), b"{}")
            assert ack.stream == s.JOBS_STREAM
        assert guard.errors == []


# ---- acceptance 2: tenants are isolated ---------------------------------------------------


async def test_tenant_cannot_read_another_tenant(seeded: Stack) -> None:
    async with connected(seeded, TA) as (a,):
        for subject in (
            s.tenant_all(BETA),
            s.job_events(BETA, JOB_B),
            s.job(BETA, JOB_B, "model.turn"),
            s.JOBS_SUBJECTS[0],
            ">",
            f"{inbox_prefix(TB)}.>",
            "_INBOX.>",
        ):
            await refused_sub(a, subject)
        # a consumer on beta's subjects, through the tenant's JetStream API and the standard one
        with pytest.raises(Exception):  # noqa: B017 - the create request is never answered
            await asyncio.wait_for(
                subscribe_ordered(a.js, s.job_events(BETA, JOB_B), stream=s.JOBS_STREAM, cb=_noop),
                1.5,
            )
        await a.violation("CONSUMER.CREATE.DEVFORGE_JOBS", 0)
        for prefix in (TENANT_JS_API_PREFIX, "$JS.API"):
            for filt in (s.job_events(BETA, JOB_B), s.JOBS_SUBJECTS[0], s.any_job("model.turn")):
                subject = f"{prefix}.CONSUMER.CREATE.{s.JOBS_STREAM}.x1.{filt}"
                req = {
                    "stream_name": s.JOBS_STREAM,
                    "config": {"name": "x1", "filter_subject": filt},
                }
                await refused(a, subject, a.nc.request(subject, json.dumps(req).encode(), 5))


async def test_tenant_consumer_filter_must_match_its_subject(seeded: Stack) -> None:
    """The allowed create subject names the tenant's filter; a config that asks for another
    tenant's subjects behind it is rejected by JetStream itself."""
    async with connected(seeded, TA) as (a,):
        subject = f"{TENANT_JS_API_PREFIX}.CONSUMER.CREATE.{s.JOBS_STREAM}.x2.{s.tenant_all(ACME)}"
        for config in (
            {"name": "x2", "filter_subject": s.tenant_all(BETA)},
            {"name": "x2", "filter_subjects": [s.tenant_all(BETA)]},
            {"name": "x2"},
        ):
            req = {"stream_name": s.JOBS_STREAM, "config": config}
            reply = await a.nc.request(subject, json.dumps(req).encode(), timeout=5)
            error = json.loads(reply.data).get("error") or {}
            assert error.get("err_code") in (10131, 10137), reply.data  # filter mismatch


async def test_tenant_follows_its_job_and_approves(seeded: Stack) -> None:
    async with connected(seeded, TA, OPERATOR) as (a, op):
        live: asyncio.Queue[Msg] = asyncio.Queue()
        replay: asyncio.Queue[Msg] = asyncio.Queue()
        await a.nc.subscribe(s.tenant_all(ACME), cb=_put(live))
        sub = await subscribe_ordered(
            a.js, s.job_events(ACME, JOB_A), stream=s.JOBS_STREAM, cb=_put(replay)
        )
        first = await asyncio.wait_for(replay.get(), 5)
        assert first.subject == s.job(ACME, JOB_A, "ticket.submitted")
        approval = s.job(ACME, JOB_A, "approval.granted")
        ack = await a.js.publish(approval, b'{"request_id": "r1", "token": "t1"}', timeout=5)
        assert ack.stream == s.JOBS_STREAM and ack.seq > 0
        assert (await asyncio.wait_for(live.get(), 5)).subject == approval
        while (await asyncio.wait_for(replay.get(), 5)).subject != approval:
            pass
        assert a.errors == []
        await refused_pub(a, s.job(BETA, JOB_B, "approval.granted"))
        await refused_pub(a, s.job(ACME, JOB_A, "ticket.submitted"))
        await sub.unsubscribe()
        assert await stored(s.JOBS_STREAM, approval, op) >= 1
        assert len(a.errors) == 2, a.errors


async def test_tenant_reply_subject_cannot_reach_other_subjects(seeded: Stack) -> None:
    """Inside one account a PubAck would be published on whatever reply subject the client names;
    a tenant's replies stay in its own account."""
    target = s.job(BETA, JOB_B, "step.approved")
    async with connected(seeded, TA, OPERATOR) as (a, op):
        await a.nc.publish(s.job(ACME, JOB_A, "approval.refused"), b"{}", reply=target)
        subject = f"{TENANT_JS_API_PREFIX}.CONSUMER.CREATE.{s.JOBS_STREAM}.x3.{s.tenant_all(ACME)}"
        await a.nc.publish(subject, b"{}", reply=target)
        await a.nc.flush()
        await asyncio.sleep(0.3)
        assert await stored(s.JOBS_STREAM, target, op) == 0


# ---- acceptance 3: no stream management, no one else's durable ----------------------------


def _other_durable(identity: str) -> str:
    return "lead" if identity == "guard" else "guard"


@pytest.mark.parametrize("identity", [*SERVICE_IDENTITIES, TA])
async def test_no_stream_admin_and_no_foreign_durable(seeded: Stack, identity: str) -> None:
    async with connected(seeded, identity, OPERATOR) as (c, op):
        api = TENANT_JS_API_PREFIX if identity == TA else "$JS.API"
        js, jobs = c.js, s.JOBS_STREAM
        before = await op.js.stream_info(jobs)
        evil = StreamConfig(
            name="EVIL",
            subjects=["evil.>"],
            republish=RePublish(src=">", dest=s.job(ACME, JOB_A, "step.approved")),
        )
        jobs_republishing = StreamConfig(
            name=jobs,
            subjects=list(s.JOBS_SUBJECTS),
            republish=RePublish(src=s.any_job("approval.granted"), dest=s.any_job("plan.approved")),
        )
        other = _other_durable(identity)
        ack_subject = f"$JS.ACK.{jobs}.{other}.1.1.1.{time.time_ns()}.0"
        take_over = ConsumerConfig(name=other, durable_name=other, filter_subject="devforge.>")
        cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            (f"{api}.STREAM.CREATE.EVIL", lambda: js.add_stream(evil)),
            (f"{api}.STREAM.UPDATE.{jobs}", lambda: js.update_stream(jobs_republishing)),
            (f"{api}.STREAM.DELETE.{jobs}", lambda: js.delete_stream(jobs)),
            (f"{api}.STREAM.PURGE.{jobs}", lambda: js.purge_stream(jobs)),
            (f"{api}.STREAM.MSG.GET.{jobs}", lambda: js.get_msg(jobs, 1)),
            (f"{api}.DIRECT.GET.{jobs}", lambda: js.get_msg(jobs, 1, direct=True)),
            (f"{api}.STREAM.INFO.{jobs}", lambda: js.stream_info(jobs)),
            (f"{api}.STREAM.NAMES", lambda: js.find_stream_name_by_subject("devforge.x.job.y.z")),
            (f"{api}.CONSUMER.MSG.NEXT.{jobs}.{other}", lambda: _pull(js, jobs, other)),
            (ack_subject, lambda: c.nc.request(ack_subject, b"+ACK", timeout=5)),
            (f"{api}.CONSUMER.INFO.{jobs}.{other}", lambda: js.consumer_info(jobs, other)),
            (
                f"{api}.CONSUMER.CREATE.{jobs}.{other}.devforge.>",
                lambda: js.add_consumer(jobs, take_over),
            ),
            (
                f"{api}.CONSUMER.DURABLE.CREATE.{jobs}.mine",
                lambda: c.nc.request(f"{api}.CONSUMER.DURABLE.CREATE.{jobs}.mine", b"{}", 5),
            ),
            (f"{api}.CONSUMER.DELETE.{jobs}.{other}", lambda: js.delete_consumer(jobs, other)),
        ]
        for subject, call in cases:
            await refused(c, subject, call())
        await c.nc.flush()
        after = await op.js.stream_info(jobs)
        assert after.config.republish is None and after.state.messages >= before.state.messages
        assert "EVIL" not in [i.config.name for i in await op.js.streams_info()]
        cinfo = await op.js.consumer_info(jobs, other)
        assert cinfo.config.filter_subjects == CONSUMERS[other].filter_subjects


@pytest.mark.parametrize("durable", sorted(CONSUMERS))
async def test_service_pulls_and_acks_its_own_durable(seeded: Stack, durable: str) -> None:
    identity = next(i for i, r in IDENTITIES.items() if durable in r.durables)
    stream = CONSUMERS[durable].stream
    async with connected(seeded, identity) as (c,):
        # what nats-py / FastStream do when binding: CONSUMER.INFO, then MSG.NEXT and $JS.ACK
        psub = await c.js.pull_subscribe("", durable=durable, stream=stream)
        msgs = await psub.fetch(1, timeout=5)
        await msgs[0].ack_sync(timeout=5)
        assert c.errors == []


async def test_faststream_binding_as_services_bind(seeded: Stack) -> None:
    """``broker.subscriber(subject, stream=JStream(name, declare=False), durable=..., pull_sub=)``
    calls CONSUMER.INFO, MSG.NEXT and $JS.ACK only - but takes its own inbox prefix, which must
    be the identity's (FastStream's default ``_INBOX.`` is refused)."""
    subject = s.job(ACME, new_job_id(), "ticket.submitted")
    got: asyncio.Queue[str] = asyncio.Queue()
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    prefix = inbox_prefix("guard")
    broker = NatsBroker(
        url_with_user(seeded.url, "guard", seeded.creds.password("guard")),
        inbox_prefix=prefix,
        error_cb=on_error,
        log_level=40,
    )

    @broker.subscriber(
        s.JOBS_SUBJECTS[0],
        stream=JStream(s.JOBS_STREAM, declare=False),
        durable="guard",
        pull_sub=PullSub(batch_size=16, timeout=1.0),
        ack_policy=AckPolicy.MANUAL,
        inbox_prefix=f"{prefix}.".encode(),
    )
    async def on_message(msg: NatsMessage) -> None:
        await msg.raw_message.ack()
        await got.put(msg.raw_message.subject)

    @broker.subscriber(s.ANY_TENANT_CREATED)
    async def on_tenant(msg: NatsMessage) -> None:
        pass

    async with connected(seeded, "gateway") as (gw,):
        await broker.start()
        try:
            await gw.js.publish(subject, b"{}")
            while await asyncio.wait_for(got.get(), 10) != subject:
                pass
        finally:
            await broker.stop()
    assert errors == []

    # the same binding with FastStream's default subscriber inbox: refused by the server
    errors.clear()
    broker2 = NatsBroker(
        url_with_user(seeded.url, "qa", seeded.creds.password("qa")),
        inbox_prefix=inbox_prefix("qa"),
        error_cb=on_error,
        log_level=40,
    )

    @broker2.subscriber(
        s.JOBS_SUBJECTS[0],
        stream=JStream(s.JOBS_STREAM, declare=False),
        durable="qa",
        pull_sub=PullSub(batch_size=1, timeout=0.5),
    )
    async def never(msg: NatsMessage) -> None:
        pass

    await broker2.start()
    try:
        for _ in range(50):
            if any('subscription to "_inbox.' in e.lower() for e in errors):
                break
            await asyncio.sleep(0.05)
    finally:
        await broker2.stop()
    assert any('subscription to "_inbox.' in e.lower() for e in errors), errors


# ---- the other things services do ---------------------------------------------------------


async def test_agents_wait_for_their_step_decision(seeded: Stack) -> None:
    job = new_job_id()
    async with connected(seeded, "guard", "lead", "engineers", "qa") as (guard, *agents):
        queues: list[asyncio.Queue[Msg]] = []
        for agent in agents:
            q: asyncio.Queue[Msg] = asyncio.Queue()
            queues.append(q)
            await subscribe_ordered(
                agent.js, s.job(ACME, job, "step.approved"), stream=s.JOBS_STREAM, cb=_put(q)
            )
            await agent.nc.subscribe(s.job(ACME, job, "step.denied"), cb=_put(q))
            await agent.nc.flush()
            await agent.js.publish(s.job(ACME, job, "step.proposed"), b"{}")
        await guard.js.publish(s.job(ACME, job, "step.approved"), b"{}")
        await guard.js.publish(s.job(ACME, job, "step.denied"), b"{}")
        for q in queues:
            subjects = {(await asyncio.wait_for(q.get(), 5)).subject for _ in range(2)}
            assert subjects == {s.job(ACME, job, "step.approved"), s.job(ACME, job, "step.denied")}
        for agent in agents:
            assert agent.errors == []


async def test_ephemeral_consumers_only_on_readable_subjects(seeded: Stack) -> None:
    # Agents and the publisher read whole job logs (they rebuild jobs from them); the projector,
    # the watchdog and the indexer read none through ephemeral consumers.
    async with connected(seeded, "indexer", "projector", "watchdog") as clients:
        indexer, projector, watchdog = clients
        cases = [
            (indexer, s.job(ACME, JOB_A, "step.proposed")),
            (projector, s.job_events(ACME, JOB_A)),
            (indexer, s.job_events(ACME, JOB_A)),
            (watchdog, s.job(ACME, JOB_A, "ticket.submitted")),
        ]
        for c, filt in cases:
            subject = f"$JS.API.CONSUMER.CREATE.{s.JOBS_STREAM}.eph1.{filt}"
            req = {"stream_name": s.JOBS_STREAM, "config": {"name": "eph1", "filter_subject": filt}}
            await refused(c, subject, c.nc.request(subject, json.dumps(req).encode(), 5))
            await refused_sub(c, filt)


async def test_gateway_follows_any_tenant_but_never_decides(seeded: Stack) -> None:
    async with connected(seeded, "gateway") as (gw,):
        q: asyncio.Queue[Msg] = asyncio.Queue()
        await subscribe_ordered(gw.js, s.job_events(BETA, JOB_B), stream=s.JOBS_STREAM, cb=_put(q))
        assert (await asyncio.wait_for(q.get(), 5)).data == b'{"secret": "beta"}'
        for event in ("ticket.submitted", "job.cancelled", "approval.granted", "approval.refused"):
            await gw.js.publish(s.job(BETA, JOB_B, event), b"{}")
        await gw.js.publish(s.tenant_created("gamma"), b"{}")
        await gw.js.publish(s.repo(BETA, "r2", "connected"), b"{}")
        await gw.js.publish(s.repo(BETA, "r2", "pushed"), b"{}")  # GitHub's push webhooks
        assert gw.errors == []
        await refused_pub(gw, s.job(BETA, JOB_B, "plan.approved"))
        await refused_pub(gw, s.job(BETA, JOB_B, "pr.opened"))


async def test_request_reply_only_where_used(seeded: Stack) -> None:
    async with connected(
        seeded, "guard", "indexer", "gateway", "lead", "engineers", "qa", TA
    ) as clients:
        guard, indexer, gateway, lead, engineers, qa, tenant = clients

        async def answer(msg: Msg) -> None:
            if is_inbox_subject(msg.reply):
                await msg.respond(b"ok")

        await guard.nc.subscribe(s.GUARD_MINT, queue="guard", cb=answer)
        await indexer.nc.subscribe(s.INDEXER_SEARCH, queue="indexer", cb=answer)
        await guard.nc.flush()
        await indexer.nc.flush()
        assert (await gateway.nc.request(s.GUARD_MINT, b"{}", timeout=5)).data == b"ok"
        for c in (lead, engineers):
            assert (await c.nc.request(s.INDEXER_SEARCH, b"{}", timeout=5)).data == b"ok"
        for c, subject in (
            (lead, s.GUARD_MINT),
            (qa, s.GUARD_MINT),
            (qa, s.INDEXER_SEARCH),
            (tenant, s.GUARD_MINT),
            (gateway, s.INDEXER_SEARCH),
        ):
            await refused(c, subject, c.nc.request(subject, b"{}", timeout=5))
        await refused_sub(lead, s.GUARD_MINT)
        await refused_sub(gateway, f"{inbox_prefix('guard')}.>")
        await refused_sub(lead, f"{inbox_prefix('gateway')}.>")
        assert guard.errors == [] and indexer.errors == []


async def test_unknown_users_are_refused(seeded: Stack) -> None:
    with pytest.raises(Exception):  # noqa: B017 - authorization violation
        await nats.connect(seeded.url, allow_reconnect=False, connect_timeout=2)
    with pytest.raises(Exception):  # noqa: B017
        await nats.connect(
            seeded.url, user="guard", password="wrong", allow_reconnect=False, connect_timeout=2
        )


# ---- devforge nats creds: a new tenant on the running server ------------------------------


def test_cli_creds_adds_a_tenant_to_the_running_server(
    seeded: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(seeded.url.rsplit(":", 1)[1])
    stack_json = {
        "nats_url": f"nats://operator:{seeded.creds.password(OPERATOR)}@127.0.0.1:{port}",
        "nats_host": "127.0.0.1",
        "nats_port": port,
        "nats_pid": seeded.proc.pid,
        "nats_config": str(seeded.config),
        "nats_store_dir": str(seeded.home / "jetstream"),
    }
    (seeded.home / "stack.json").write_text(json.dumps(stack_json))
    monkeypatch.setenv("DEVFORGE_HOME", str(seeded.home))
    result = CliRunner().invoke(nats_app, ["creds", "--tenant", "gamma"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith("nats://tenant-gamma:") and url.endswith(f"@127.0.0.1:{port}")
    assert seeded.config.stat().st_mode & 0o077 == 0
    again = CliRunner().invoke(nats_app, ["creds", "--tenant", "gamma"])
    assert again.exit_code == 0 and again.stdout.strip() == url
    seeded.creds.reload()
    asyncio.run(_gamma_works(seeded, url))


async def _gamma_works(stack: Stack, url: str) -> None:
    job = new_job_id()
    async with connected(stack, OPERATOR, TA) as (op, acme):  # old users survive the reload
        await op.js.publish(s.job("gamma", job, "ticket.submitted"), b"{}")
        gamma = Client("tenant-gamma")
        await gamma.nc.connect(
            url, inbox_prefix=inbox_prefix("tenant-gamma"), error_cb=gamma.on_error
        )
        try:
            q: asyncio.Queue[Msg] = asyncio.Queue()
            await subscribe_ordered(
                gamma.js, s.job_events("gamma", job), stream=s.JOBS_STREAM, cb=_put(q)
            )
            assert (await asyncio.wait_for(q.get(), 5)).subject.endswith("ticket.submitted")
            await gamma.js.publish(s.job("gamma", job, "approval.granted"), b"{}")
            await refused_sub(gamma, s.tenant_all(ACME))
            await refused_pub(acme, s.job("gamma", job, "approval.granted"))
        finally:
            await gamma.nc.close()


# ---- helpers ------------------------------------------------------------------------------


async def _noop(msg: Msg) -> None:
    return None


def _put(q: asyncio.Queue[Msg]) -> Any:
    async def cb(msg: Msg) -> None:
        await q.put(msg)

    return cb


async def _pull(js: JetStreamContext, stream: str, durable: str) -> list[Msg]:
    psub = await js.pull_subscribe_bind(durable=durable, stream=stream)
    return await psub.fetch(1, timeout=5)
