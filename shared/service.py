"""The runtime every DevForge service shares: one durable pull consumer, typed dispatch,
bounded retries, dead letters, idempotency keys, job-state checks and readiness.

A service is a name, a durable (declared by the operator in ``shared.bus.topology``) and a map
from event name to handler. What happens to a message:
- unreadable (bad JSON, unknown version, unsafe subject token, unknown tenant): dead letter, ack;
- its job already ended: ack and skip;
- handler raises: ``nak`` with a growing delay; after ``max_deliver`` attempts a dead letter with
  the error and the original payload, ``job.failed`` for the job, and ack;
- the bus or the database is unreachable (``shared.outage``): the handler runs again in the same
  delivery until it is back (up to ``outage_grace``); no attempt is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
import structlog
from faststream import AckPolicy, FastStream
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.aio.msg import Msg

from shared import logging as dlog
from shared import subjects as s
from shared.bus import dedupe
from shared.bus.client import Bus, inbox_for
from shared.bus.topology import CONSUMERS, ConsumerSpec
from shared.db.pool import create_pool
from shared.ids import InvalidId
from shared.jobstate import Status, is_terminal
from shared.messages import JobFailed, Message, Unreadable, decode, model_for
from shared.natsauth import is_inbox_subject
from shared.observe import metrics
from shared.observe import tracing as otel
from shared.outage import is_outage
from shared.registry import TenantCache, UnknownTenant
from shared.settings import Settings, get_settings

DbConn: TypeAlias = "asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]"


@dataclass
class Context:
    """What a handler knows about the message in hand, and the tools to act on it."""

    service: Service
    tenant: str
    event: str
    job_id: str | None
    repo_id: str | None
    stream_seq: int
    num_delivered: int
    bus: Bus
    pool: asyncpg.Pool[Any]
    log: Any
    cancelled: bool = False  # the handler was cancelled because its job ended

    async def once(self, key: str, conn: DbConn | None = None) -> bool:
        """Claim an idempotency key for this service; False if it was claimed before.

        Pass ``conn`` inside a transaction so the claim commits with the side effect.
        """
        q = (
            "INSERT INTO processed_messages (consumer, msg_key) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING RETURNING 1"
        )
        target: Any = conn if conn is not None else self.pool
        return bool(await target.fetchval(q, self.service.name, key))

    async def job_status(self) -> Status | None:
        if self.job_id is None:
            return None
        v = await self.pool.fetchval("SELECT status FROM jobs WHERE id = $1", self.job_id)
        return Status(v) if v else None

    async def publish(self, msg: Message) -> None:
        assert self.job_id is not None
        await self.bus.publish_job(self.tenant, self.job_id, msg)

    async def fail_job(self, reason: str) -> None:
        assert self.job_id is not None
        await self.publish(JobFailed(reason=reason, service=self.service.name))


def describe(exc: BaseException) -> str:
    """``Type: message`` of the error that matters: the first leaf of an exception group (task
    groups wrap what happened inside them), so a dead letter names the real problem."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


Handler = Callable[[Context, Any], Coroutine[Any, Any, None]]
RpcHandler = Callable[["Service", bytes], Awaitable[dict[str, Any]]]


@dataclass
class Service:
    name: str
    durable: str | None
    handlers: dict[str, Handler] = field(default_factory=dict)
    consumer: ConsumerSpec | None = None  # default: the operator-declared durable of that name
    rpc: dict[str, RpcHandler] = field(default_factory=dict)  # subject -> request handler
    skip_terminal: bool = True
    stop_on_job_end: bool = False  # agents: cancel in-flight work (and its sandbox) when a job ends
    background: list[Callable[[Service], Coroutine[Any, Any, None]]] = field(default_factory=list)
    settings: Settings = field(default_factory=get_settings)
    bus: Bus | None = None
    pool: asyncpg.Pool[Any] | None = None
    tenants: TenantCache | None = None
    log: Any = None
    stats: dict[str, int] = field(default_factory=lambda: {"handled": 0, "dead": 0, "retried": 0})
    _inflight: dict[str, set[asyncio.Task[None]]] = field(default_factory=dict)

    def stop_job(self, job_id: str) -> int:
        """Cancel this process's work on a job that ended (cancelled or failed elsewhere)."""
        tasks = self._inflight.pop(job_id, set())
        for t in tasks:
            t.cancel()
        return len(tasks)

    # ---- the message path ----------------------------------------------------------------

    async def handle(self, raw: Msg) -> None:
        assert self.bus is not None and self.pool is not None and self.tenants is not None
        md = raw.metadata
        seq, delivered = md.sequence.stream, md.num_delivered
        log = self.log.bind(subject=raw.subject, seq=seq, delivery=delivered)
        try:
            parsed = s.parse(raw.subject)
            event = parsed.event if parsed.kind == "job" else f"{parsed.kind}.{parsed.event}"
            base = "task.ready" if event.startswith("task.ready.") else event
            msg = decode(model_for(event), raw.data)
            await self.tenants.require(parsed.tenant)
        except (InvalidId, Unreadable, UnknownTenant) as exc:
            log.warning("dead_letter", reason=str(exc))
            await self.bus.dead_letter(
                self.name, raw.subject, raw.data, str(exc), num_delivered=delivered, stream_seq=seq
            )
            self.stats["dead"] += 1
            metrics.DEAD_LETTERS.labels(self.name).inc()
            await raw.ack()
            return
        handler = self.handlers.get(base)
        ctx = Context(
            self,
            parsed.tenant,
            event,
            parsed.job_id,
            parsed.repo_id,
            seq,
            delivered,
            self.bus,
            self.pool,
            log.bind(tenant=parsed.tenant, job=parsed.job_id),
        )
        if handler is None:  # the consumer's filter and the handler table disagree: say so
            reason = f"{self.name} has no handler for {event} (its filter delivered it)"
            log.error("dead_letter", reason=reason)
            await self.bus.dead_letter(
                self.name, raw.subject, raw.data, reason, num_delivered=delivered, stream_seq=seq
            )
            self.stats["dead"] += 1
            metrics.DEAD_LETTERS.labels(self.name).inc()
            await raw.ack()
            return
        metrics.MESSAGES_IN.labels(self.name, base).inc()
        if delivered > 1:
            metrics.REDELIVERIES.labels(self.name).inc()
        started = time.perf_counter()
        beat = asyncio.create_task(self._keep_alive(raw))
        try:
            done = await self._attempt(ctx, raw, handler, msg)
        finally:
            beat.cancel()
        if not done:  # skipped, stopped or failed: already settled
            return
        self.stats["handled"] += 1
        await raw.ack()
        elapsed = time.perf_counter() - started
        metrics.HANDLER_SECONDS.labels(self.name, base).observe(elapsed)
        ms = round(elapsed * 1000, 2)
        ctx.log.info("handled", message=ctx.event, ms=ms)

    async def _attempt(self, ctx: Context, raw: Msg, handler: Handler, msg: Any) -> bool:
        """Run the handler; True if it succeeded, else the message is settled here. While the
        bus or the database is unreachable, run it again in the same delivery: an outage is
        not the message's fault and counts no attempt (handlers are safe to repeat)."""
        outage_since: float | None = None
        while True:
            try:
                if await self._skip(ctx):
                    ctx.log.info("skipped", why="job already ended")
                    await raw.ack()
                    return False
                await self._work(ctx, handler, msg)
                return True
            except asyncio.CancelledError:
                if not ctx.cancelled:  # this service is stopping: let the message come back
                    raise
                ctx.log.info("stopped", why="the job ended while this service worked on it")
                await raw.ack()
            except Exception as exc:
                now = time.monotonic()
                outage_since = outage_since or now
                if is_outage(exc) and now - outage_since < self.settings.outage_grace:
                    ctx.log.warning("outage", error=f"{type(exc).__name__}: {exc}")
                    await asyncio.sleep(min(1.0 + (now - outage_since) / 4, 5.0))
                    continue
                await self._failed(ctx, raw, exc)
            return False

    async def _skip(self, ctx: Context) -> bool:
        starts_job = ctx.event == "ticket.submitted"  # no job row can exist yet: skip the query
        return bool(
            self.skip_terminal
            and ctx.job_id
            and not starts_job
            and is_terminal(await ctx.job_status())
        )

    async def _work(self, ctx: Context, handler: Handler, msg: Any) -> None:
        work = asyncio.create_task(handler(ctx, msg))
        if ctx.job_id:
            self._inflight.setdefault(ctx.job_id, set()).add(work)
        try:
            await work
        except asyncio.CancelledError:
            ctx.cancelled = work.cancelled()
            raise
        finally:
            if ctx.job_id:
                self._inflight.get(ctx.job_id, set()).discard(work)

    async def _keep_alive(self, raw: Msg) -> None:
        period = max(self.settings.ack_wait / 3, 0.5)
        while True:
            await asyncio.sleep(period)
            with contextlib.suppress(Exception):  # the bus may be away for a moment
                await raw.in_progress()

    async def _failed(self, ctx: Context, raw: Msg, exc: Exception) -> None:
        assert self.bus is not None
        error = describe(exc)
        if ctx.num_delivered < self.settings.max_deliver:
            delay = min(self.settings.retry_delay * 2 ** (ctx.num_delivered - 1), 60.0)
            ctx.log.warning("retrying", error=error, delay=delay)
            self.stats["retried"] += 1
            metrics.RETRIES.labels(self.name).inc()
            await raw.nak(delay=delay)
            return
        reason = f"{self.name} failed after {ctx.num_delivered} attempts: {error}"
        ctx.log.error("dead_letter", reason=reason)
        await self.bus.dead_letter(
            self.name,
            raw.subject,
            raw.data,
            reason,
            num_delivered=ctx.num_delivered,
            stream_seq=ctx.stream_seq,
        )
        self.stats["dead"] += 1
        metrics.DEAD_LETTERS.labels(self.name).inc()
        if ctx.job_id and ctx.event not in ("job.failed", "job.cancelled"):
            with contextlib.suppress(Exception):
                await ctx.fail_job(reason)
        await raw.ack()

    # ---- the process -------------------------------------------------------------------

    def app(self) -> FastStream:
        """The FastStream app: one pull subscriber bound to the operator-declared durable."""
        url = self._nats_url()
        inbox = inbox_for(url)
        # logger=None: our own JSON logs say what happened; FastStream's per-message access
        # lines would double the logging work on the hot path.
        broker = NatsBroker(url, max_reconnect_attempts=-1, logger=None, inbox_prefix=inbox)
        if self.durable is not None:
            spec = self.consumer or CONSUMERS[self.durable]
            subject = {s.JOBS_STREAM: f"{s.PREFIX}.*.job.>", s.REGISTRY_STREAM: f"{s.PREFIX}.>"}[
                spec.stream
            ]

            @broker.subscriber(
                subject,
                stream=JStream(spec.stream, declare=False),
                durable=spec.durable,
                pull_sub=PullSub(batch_size=1, timeout=5.0),  # batch 1: a fetch returns at once
                ack_policy=AckPolicy.MANUAL,
                inbox_prefix=f"{inbox}.".encode(),
            )
            async def _on_message(msg: NatsMessage) -> None:
                await self.handle(msg.raw_message)

        for subject, rpc_handler in self.rpc.items():
            self._add_rpc(broker, subject, rpc_handler)

        if self.stop_on_job_end:  # job.failed and job.cancelled: the job is over

            @broker.subscriber(s.any_job("job.*"))
            async def _on_end(msg: NatsMessage) -> None:
                self._stop_from(msg.raw_message.subject)

        @broker.subscriber(s.ANY_TENANT_CREATED)
        async def _on_tenant(msg: NatsMessage) -> None:
            # A hint, not a fact: core messages can be forged, so the table decides.
            if self.tenants is not None:
                with contextlib.suppress(InvalidId):
                    await self.tenants.refresh(s.parse(msg.raw_message.subject).tenant)

        app = FastStream(broker)

        @app.on_startup
        async def _start() -> None:
            dlog.configure(self.name, self.settings.log_level)
            self.log = structlog.get_logger().bind(pid=os.getpid())
            self.pool = await create_pool(self._db_url())
            self._dedupe_key = await dedupe.load_key(self.pool)
            self.tenants = TenantCache(self.pool)
            otel.configure(self.settings)
            metrics.init_service(self.name, self.handlers)
            metrics.serve(self.settings, self.name)

        @app.after_startup
        async def _ready() -> None:
            self.bus = Bus(broker.connection, service=self.name, dedupe_key=self._dedupe_key)
            self._tasks: list[asyncio.Task[None]] = [
                asyncio.create_task(job(self)) for job in self.background
            ]
            # Everything loaded at start-up lives for the whole process: move it out of the
            # collector's sight, so a collection walks only what messages allocate.
            gc.collect()
            gc.freeze()
            self.ready_file().parent.mkdir(parents=True, exist_ok=True)
            self.ready_file().write_text(str(os.getpid()))
            self.log.info("ready", durable=self.durable)

        @app.on_shutdown
        async def _stop() -> None:
            self.ready_file().unlink(missing_ok=True)
            metrics.withdraw(self.settings.home, self.name)
            for t in getattr(self, "_tasks", []):
                t.cancel()
            await asyncio.to_thread(otel.flush)
            if self.pool is not None:
                await self.pool.close()

        return app

    def _stop_from(self, subject: str) -> None:
        with contextlib.suppress(InvalidId):
            job = s.parse(subject).job_id
            if job and self.stop_job(job) and self.log is not None:
                self.log.info("job_stopped", job=job, subject=subject)

    def _add_rpc(self, broker: NatsBroker, subject: str, handler: RpcHandler) -> None:
        """A request/reply endpoint shared by every instance (queue group = service name)."""

        @broker.subscriber(subject, queue=self.name)
        async def _on_request(msg: NatsMessage) -> None:
            raw = msg.raw_message
            if not is_inbox_subject(raw.reply):  # never answer onto a non-inbox subject
                self.log.warning("rpc_refused", subject=subject, reply=raw.reply)
                return
            try:
                answer = await handler(self, raw.data)
            except Exception as exc:  # every request gets an answer, never a timeout
                self.log.warning("rpc_failed", subject=subject, error=str(exc))
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            await raw.respond(json.dumps(answer, default=str).encode())

    def ready_file(self) -> Path:
        return self.settings.home / "run" / "ready" / f"{self.name}.{os.getpid()}"

    def _nats_url(self) -> str:
        url = os.environ.get(f"DEVFORGE_NATS_URL_{self.name.upper().replace('-', '_')}")
        url = url or self.settings.nats_url
        if not url:
            raise SystemExit(f"{self.name}: DEVFORGE_NATS_URL is not set")
        return url

    def _db_url(self) -> str:
        if not self.settings.database_url:
            raise SystemExit(f"{self.name}: DEVFORGE_DATABASE_URL is not set")
        return self.settings.database_url


def run(service: Service) -> None:
    """Entry point of ``python -m services.<name>``: run until SIGTERM/SIGINT (FastStream
    handles both and shuts down gracefully)."""
    asyncio.run(service.app().run())
