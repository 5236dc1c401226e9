"""Who may do what on the bus: identities, roles and the NATS permissions derived from them.

Pure data and functions; no I/O. ``render.py`` turns the result into server configuration.
Every DevForge subject comes from ``shared.subjects``; the ``$JS`` subjects of the JetStream API
are NATS's own and are built here.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import subjects as s
from shared.bus.topology import CONSUMERS, STREAMS
from shared.ids import check_tenant
from shared.roles import BY_NAME, ENGINEER_ROLES

OPERATOR = "operator"
SERVICE_IDENTITIES: tuple[str, ...] = (
    "guard",
    "lead",
    "engineers",
    "qa",
    "publisher",
    "indexer",
    "gateway",
    "projector",
    "watchdog",
)
TENANT_USER_PREFIX = "tenant-"

APP_ACCOUNT = "APP"
SYSTEM_ACCOUNT = "SYS"
TENANT_ACCOUNT_PREFIX = "TENANT_"

JS_API = "$JS.API"
JS_ACK = "$JS.ACK"
JS_FC = "$JS.FC"
# A tenant's account has no JetStream of its own; it reaches the APP account's JetStream API
# through service imports mapped to this prefix (``nc.jetstream(prefix=TENANT_JS_API_PREFIX)``).
TENANT_JS_API_PREFIX = "DEVFORGE.JS.API"

GUARD_DECISIONS = (
    "ticket.accepted",
    "ticket.rejected",
    "plan.approved",
    "plan.denied",
    "plan.awaiting_approval",
    "step.approved",
    "step.denied",
    "step.awaiting_approval",
)
STOP_EVENTS = ("job.failed", "job.cancelled")
AGENT_EVENTS = ("model.turn", "step.proposed", "step.result", "cost.updated")
# Stream-management and other admin calls: the operator's alone. Denied explicitly to everyone
# else on top of the allow lists, so a future allow entry with a wildcard cannot reopen them.
ADMIN_API = (
    "STREAM.CREATE.>",
    "STREAM.UPDATE.>",
    "STREAM.DELETE.>",
    "STREAM.PURGE.>",
    "STREAM.MSG.GET.>",
    "STREAM.MSG.DELETE.>",
    "STREAM.SNAPSHOT.>",
    "STREAM.RESTORE.>",
    "STREAM.PEER.>",
    "STREAM.LEADER.>",
    "DIRECT.GET.>",
    "CONSUMER.DURABLE.CREATE.>",
    "CONSUMER.DELETE.>",
    "CONSUMER.PAUSE.>",
    "CONSUMER.UNPIN.>",
    "CONSUMER.RESET.>",
    "CONSUMER.LEADER.>",
    "ACCOUNT.>",
    "META.>",
    "SERVER.>",
)


@dataclass(frozen=True)
class Identity:
    """What one service identity does on the bus (subjects are patterns over all tenants)."""

    name: str
    durables: tuple[str, ...] = ()
    publishes: tuple[str, ...] = ()  # besides job.failed and its dead letters
    reads: tuple[str, ...] = ()  # core subscriptions and ephemeral ordered consumers
    serves: tuple[str, ...] = ()  # request/reply subjects it answers (allow_responses)
    requests: tuple[str, ...] = ()  # request/reply subjects it calls


@dataclass(frozen=True)
class Permissions:
    """One user's permissions in nats-server terms (``None`` for a user means: no limits)."""

    pub_allow: tuple[str, ...]
    pub_deny: tuple[str, ...]
    sub_allow: tuple[str, ...]
    sub_deny: tuple[str, ...]
    allow_responses: bool = False


def _jobs(*events: str) -> tuple[str, ...]:
    return tuple(s.any_job(e) for e in events)


def _filters(*durables: str) -> tuple[str, ...]:
    return tuple(f for d in durables for f in CONSUMERS[d].filter_subjects)


def _rpc_service(service: str) -> str:
    """``devforge.rpc.<service>.>``: every operation of one request/reply service."""
    return s.rpc(service, "any").rsplit(".", 1)[0] + ".>"


_ENGINEER_DURABLES = ("conductor", *(BY_NAME[r].process for r in ENGINEER_ROLES))
_STEP_EVENTS = _jobs("step.*")  # proposed, approved, denied, awaiting_approval, result
# Agents and the publisher read a job's whole event log: they rebuild a job from it (the ticket,
# the plan, recorded model turns and tool results) when they take it over after a crash.
_AGENT_READS = tuple(s.JOBS_SUBJECTS)

IDENTITIES: dict[str, Identity] = {
    r.name: r
    for r in (
        Identity(
            "guard",
            durables=("guard",),
            publishes=_jobs(*GUARD_DECISIONS),
            reads=(*_filters("guard"), *_jobs(*STOP_EVENTS)),
            serves=(_rpc_service("guard"),),
        ),
        Identity(
            "lead",
            durables=("lead",),
            publishes=_jobs("ticket.planned", *AGENT_EVENTS),
            reads=(*_filters("lead"), *_AGENT_READS),
            requests=(s.INDEXER_SEARCH,),
        ),
        Identity(
            "engineers",
            durables=_ENGINEER_DURABLES,
            publishes=_jobs(
                *(f"task.ready.{r}" for r in ENGINEER_ROLES),
                "task.started",
                "task.done",
                "work.done",
                *AGENT_EVENTS,
            ),
            reads=(*_filters(*_ENGINEER_DURABLES), *_AGENT_READS),
            requests=(s.INDEXER_SEARCH,),
        ),
        Identity(
            "qa",
            durables=("qa",),
            publishes=_jobs("qa.passed", "qa.failed", *AGENT_EVENTS),
            reads=(*_filters("qa"), *_AGENT_READS),
        ),
        Identity(
            "publisher",
            durables=("publisher",),
            publishes=(*_jobs("pr.opened"), s.any_repo("pushed")),
            reads=(*_filters("publisher"), *_AGENT_READS),
        ),
        Identity(
            "indexer",
            durables=("indexer",),
            reads=_filters("indexer"),
            serves=(s.INDEXER_SEARCH,),
        ),
        Identity(
            "gateway",
            publishes=(
                *_jobs("ticket.submitted", "job.cancelled", "approval.granted", "approval.refused"),
                s.ANY_TENANT_CREATED,
                s.any_repo("connected"),
                s.any_repo("pushed"),  # GitHub's push webhooks
            ),
            reads=tuple(s.JOBS_SUBJECTS),
            requests=(s.GUARD_MINT,),
        ),
        Identity("projector", durables=("projector",)),
        Identity("watchdog"),
    )
}
assert tuple(IDENTITIES) == SERVICE_IDENTITIES


def tenant_user(tenant: str) -> str:
    return TENANT_USER_PREFIX + check_tenant(tenant)


def tenant_account(tenant: str) -> str:
    return TENANT_ACCOUNT_PREFIX + check_tenant(tenant)


def inbox_prefix(user: str) -> str:
    """The inbox prefix a user must connect with (``nats.connect(inbox_prefix=...)``).

    Replies (PubAcks, JetStream API answers, pull batches, RPC answers) go to the requester's
    inbox, so a user may subscribe only to its own prefix. User names are unique subject tokens
    (services never start with ``tenant-``), so no two users share a prefix.
    """
    return f"_INBOX_{user}"


def subjects_overlap(a: str, b: str) -> bool:
    """Whether two subject patterns can match a common subject."""
    ta, tb = a.split("."), b.split(".")
    for i in range(max(len(ta), len(tb))):
        x = ta[i] if i < len(ta) else None
        y = tb[i] if i < len(tb) else None
        if x == ">" or y == ">":
            return x is not None and y is not None
        if x is None or y is None:
            return False
        if x != y and "*" not in (x, y):
            return False
    return True


def streams_for(pattern: str) -> tuple[str, ...]:
    """The streams that capture subjects matching ``pattern``."""
    return tuple(
        spec.name for spec in STREAMS if any(subjects_overlap(pattern, x) for x in spec.subjects)
    )


def _consumer_create(prefix: str, stream: str, filter_subject: str) -> str:
    """Creating an ephemeral consumer whose filter is in the request subject.

    nats-server rejects a request whose config filter differs from the subject's filter, so the
    subject permission bounds what the consumer can read. The bare ``CONSUMER.CREATE.<stream>``
    and ``CONSUMER.CREATE.<stream>.<name>`` forms carry no filter and are never allowed.
    """
    return f"{prefix}.CONSUMER.CREATE.{stream}.*.{filter_subject}"


def _protected_durables(prefix: str) -> tuple[str, ...]:
    """No one but the operator may create, update or take over a declared durable by name."""
    out: list[str] = []
    for durable in CONSUMERS:
        out += [f"{prefix}.CONSUMER.CREATE.*.{durable}", f"{prefix}.CONSUMER.CREATE.*.{durable}.>"]
    return tuple(out)


def _admin_denied(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}.{x}" for x in ADMIN_API)


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def service_permissions(identity: str) -> Permissions:
    role = IDENTITIES[identity]
    pub: list[str] = [*role.publishes, *role.requests, s.any_job("job.failed")]
    pub += [s.dlq(n) for n in (role.name, *role.durables)]
    for durable in role.durables:
        stream = CONSUMERS[durable].stream
        pub += [
            f"{JS_API}.CONSUMER.INFO.{stream}.{durable}",
            f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"{JS_ACK}.{stream}.{durable}.>",
        ]
    reads = [*role.reads, s.ANY_TENANT_CREATED]
    for pattern in reads:
        for stream in streams_for(pattern):
            pub += [_consumer_create(JS_API, stream, pattern), f"{JS_FC}.{stream}.>"]
    deny = [*_admin_denied(JS_API), *_protected_durables(JS_API)]
    if identity != "guard":
        deny += _jobs(*GUARD_DECISIONS)
    return Permissions(
        pub_allow=_dedupe(pub),
        pub_deny=_dedupe(deny),
        sub_allow=_dedupe([*reads, *role.serves, f"{inbox_prefix(identity)}.>"]),
        sub_deny=("_INBOX.>", "$JS.>", "$SYS.>"),
        allow_responses=bool(role.serves),
    )


def tenant_own_job_events(tenant: str, event: str) -> str:
    """``devforge.<tenant>.job.*.<event>``: one event of every job of one tenant."""
    tokens = s.any_job(event).split(".")
    tokens[1] = check_tenant(tenant)
    return ".".join(tokens)


TENANT_PUBLISHES = ("approval.granted", "approval.refused")


def tenant_streams(tenant: str) -> tuple[str, ...]:
    return streams_for(s.tenant_all(tenant))


def tenant_permissions(tenant: str) -> Permissions:
    """The external client of one tenant, inside its own account (see the package docstring)."""
    own = s.tenant_all(tenant)
    pub = [tenant_own_job_events(tenant, e) for e in TENANT_PUBLISHES]
    for stream in tenant_streams(tenant):
        pub += [_consumer_create(TENANT_JS_API_PREFIX, stream, own), f"{JS_FC}.{stream}.>"]
    deny = [
        *_admin_denied(TENANT_JS_API_PREFIX),
        *_protected_durables(TENANT_JS_API_PREFIX),
        *_jobs(*GUARD_DECISIONS),
    ]
    return Permissions(
        pub_allow=_dedupe(pub),
        pub_deny=_dedupe(deny),
        sub_allow=(own, f"{inbox_prefix(tenant_user(tenant))}.>"),
        sub_deny=("_INBOX.>", "$JS.>", "$SYS.>"),
    )


@dataclass(frozen=True)
class TenantLink:
    """What the APP account exports to one tenant's account, and how the tenant imports it."""

    streams: tuple[str, ...]  # APP subjects delivered into the tenant's account
    services: tuple[tuple[str, str], ...]  # (APP subject, subject in the tenant's account)


def tenant_link(tenant: str) -> TenantLink:
    own = s.tenant_all(tenant)
    services = [(tenant_own_job_events(tenant, e),) * 2 for e in TENANT_PUBLISHES]
    for stream in tenant_streams(tenant):
        services.append(
            (
                _consumer_create(JS_API, stream, own),
                _consumer_create(TENANT_JS_API_PREFIX, stream, own),
            )
        )
        services.append((f"{JS_FC}.{stream}.>",) * 2)
    return TenantLink(
        streams=(own, f"{inbox_prefix(tenant_user(tenant))}.>"),
        services=tuple((a, b) for a, b in services),
    )
