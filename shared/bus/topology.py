"""The streams and durable consumers of DevForge, as data, and their idempotent declaration.

Only the operator runs ``declare`` (at ``devforge up`` or deploy time). Services bind to the
durables declared here and never create or change streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from shared import subjects as s
from shared.roles import BY_NAME, ENGINEER_ROLES

DAY = 24 * 3600.0


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: list[str]
    max_age: float = 0.0
    duplicate_window: float = 120.0

    def config(self, replicas: int = 1) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=self.max_age,
            duplicate_window=self.duplicate_window,
            allow_direct=False,
            num_replicas=replicas,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    """One durable pull consumer: a service's share of the work."""

    durable: str
    stream: str
    filter_subjects: list[str]
    max_ack_pending: int = 1000
    ordered_delivery: bool = False  # one message in flight (projector: per-stream order)
    extra: dict[str, str] = field(default_factory=dict)

    def config(self, max_deliver: int, ack_wait: float) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subjects=list(self.filter_subjects),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            max_ack_pending=1 if self.ordered_delivery else self.max_ack_pending,
        )


STREAMS = (
    StreamSpec(s.JOBS_STREAM, s.JOBS_SUBJECTS, max_age=30 * DAY),
    StreamSpec(s.REGISTRY_STREAM, s.REGISTRY_SUBJECTS),
    StreamSpec(s.DLQ_STREAM, s.DLQ_SUBJECTS, max_age=30 * DAY),
)


def _job(*events: str) -> list[str]:
    return [s.any_job(e) for e in events]


CONSUMERS: dict[str, ConsumerSpec] = {
    c.durable: c
    for c in (
        ConsumerSpec(
            "guard",
            s.JOBS_STREAM,
            _job(
                "ticket.submitted",
                "ticket.planned",
                "step.proposed",
                "approval.granted",
                "approval.refused",
            ),
        ),
        ConsumerSpec("lead", s.JOBS_STREAM, _job("ticket.accepted")),
        ConsumerSpec("conductor", s.JOBS_STREAM, _job("plan.approved", "task.done", "qa.failed")),
        *(
            ConsumerSpec(BY_NAME[r].process, s.JOBS_STREAM, _job(f"task.ready.{r}"))
            for r in ENGINEER_ROLES
        ),
        ConsumerSpec("qa", s.JOBS_STREAM, _job("plan.approved", "work.done")),
        ConsumerSpec("publisher", s.JOBS_STREAM, _job("qa.passed")),
        ConsumerSpec("projector", s.JOBS_STREAM, [f"{s.PREFIX}.*.job.>"], ordered_delivery=True),
        ConsumerSpec("indexer", s.REGISTRY_STREAM, [s.any_repo("connected"), s.any_repo("pushed")]),
    )
}


def _stream_differs(have: StreamConfig, want: StreamConfig) -> bool:
    return (
        sorted(have.subjects or []) != sorted(want.subjects or [])
        or (have.max_age or 0) != (want.max_age or 0)
        or (have.duplicate_window or 0) != (want.duplicate_window or 0)
        or bool(have.allow_direct) != bool(want.allow_direct)
        or (have.num_replicas or 1) != (want.num_replicas or 1)
    )


def _consumer_differs(have: ConsumerConfig, want: ConsumerConfig) -> bool:
    return (
        sorted(have.filter_subjects or ([have.filter_subject] if have.filter_subject else []))
        != sorted(want.filter_subjects or [])
        or have.max_deliver != want.max_deliver
        or have.ack_wait != want.ack_wait
        or have.max_ack_pending != want.max_ack_pending
    )


async def declare(
    js: JetStreamContext, *, max_deliver: int, ack_wait: float, replicas: int = 1
) -> list[str]:
    """Create or bring up to date every stream and durable; return what changed (for logs).

    ``replicas`` is the streams' replication factor: 1 on one server, 3 on a three-node cluster
    (durables inherit it from their stream)."""
    changes: list[str] = []
    for spec in STREAMS:
        want = spec.config(replicas)
        try:
            info = await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(want)
            changes.append(f"created stream {spec.name}")
            continue
        if _stream_differs(info.config, want):
            await js.update_stream(want)
            changes.append(f"updated stream {spec.name}")
    for c in CONSUMERS.values():
        want_c = c.config(max_deliver, ack_wait)
        try:
            cinfo = await js.consumer_info(c.stream, c.durable)
        except NotFoundError:
            await js.add_consumer(c.stream, want_c)
            changes.append(f"created consumer {c.durable}")
            continue
        if _consumer_differs(cinfo.config, want_c):
            await js.add_consumer(c.stream, want_c)  # create-or-update on nats-server >= 2.10
            changes.append(f"updated consumer {c.durable}")
    return changes
