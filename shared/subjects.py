"""Every NATS subject, stream and durable name in DevForge is built here and nowhere else.

Layout (see the architecture brief):
    devforge.<tenant>.job.<job_id>.<event>     job events          -> stream DEVFORGE_JOBS
    devforge.<tenant>.tenant.<event>           tenant registry     -> stream DEVFORGE_REGISTRY
    devforge.<tenant>.repo.<repo_id>.<event>   repository events   -> stream DEVFORGE_REGISTRY
    devforge.dlq.<service>                     dead letters        -> stream DEVFORGE_DLQ
    devforge.rpc.<service>.<op>                request/reply       (no stream)
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.ids import InvalidId, check_job_id, check_tenant, check_token
from shared.roles import ENGINEER_ROLES

PREFIX = "devforge"

JOBS_STREAM = "DEVFORGE_JOBS"
REGISTRY_STREAM = "DEVFORGE_REGISTRY"
DLQ_STREAM = "DEVFORGE_DLQ"

JOBS_SUBJECTS = [f"{PREFIX}.*.job.>"]
REGISTRY_SUBJECTS = [f"{PREFIX}.*.tenant.>", f"{PREFIX}.*.repo.>"]
DLQ_SUBJECTS = [f"{PREFIX}.dlq.*"]

# The job events of the state machine. ``task.ready`` is followed by an engineer role
# (``shared.roles.ENGINEER_ROLES``).
JOB_EVENTS = (
    "ticket.submitted",
    "ticket.accepted",
    "ticket.rejected",
    "ticket.planned",
    "plan.approved",
    "plan.awaiting_approval",
    "plan.denied",
    "task.ready",
    "task.started",
    "task.done",
    "step.proposed",
    "step.approved",
    "step.denied",
    "step.awaiting_approval",
    "approval.granted",
    "approval.refused",
    "model.turn",
    "step.result",
    "work.done",
    "qa.passed",
    "qa.failed",
    "pr.opened",
    "job.failed",
    "job.cancelled",
    "cost.updated",
)
REGISTRY_EVENTS = ("tenant.created", "repo.connected", "repo.pushed")


def job(tenant: str, job_id: str, event: str) -> str:
    """Subject of one job event, e.g. ``devforge.acme.job.01j....step.proposed``."""
    check_tenant(tenant)
    check_job_id(job_id)
    base = event.rsplit(".", 1)[0] if event.startswith("task.ready.") else event
    if base not in JOB_EVENTS:
        raise InvalidId(f"unknown job event {event!r}")
    if event.startswith("task.ready."):
        role = event.rsplit(".", 1)[1]
        if role not in ENGINEER_ROLES:
            raise InvalidId(f"unknown role {role!r}")
    return f"{PREFIX}.{tenant}.job.{job_id}.{event}"


def task_ready(tenant: str, job_id: str, role: str) -> str:
    return job(tenant, job_id, f"task.ready.{role}")


def job_events(tenant: str, job_id: str) -> str:
    """Wildcard for everything about one job (what an outside client follows)."""
    return f"{PREFIX}.{check_tenant(tenant)}.job.{check_job_id(job_id)}.>"


def tenant_all(tenant: str) -> str:
    return f"{PREFIX}.{check_tenant(tenant)}.>"


def any_job(event: str) -> str:
    """Filter for one event across all tenants and jobs (durable consumer filters)."""
    return f"{PREFIX}.*.job.*.{event}"


def tenant_created(tenant: str) -> str:
    return f"{PREFIX}.{check_tenant(tenant)}.tenant.created"


ANY_TENANT_CREATED = f"{PREFIX}.*.tenant.created"


def repo(tenant: str, repo_id: str, event: str) -> str:
    if event not in ("connected", "pushed"):
        raise InvalidId(f"unknown repo event {event!r}")
    return f"{PREFIX}.{check_tenant(tenant)}.repo.{check_token(repo_id, 'repo id')}.{event}"


def any_repo(event: str) -> str:
    return f"{PREFIX}.*.repo.*.{event}"


def dlq(service: str) -> str:
    return f"{PREFIX}.dlq.{check_token(service, 'service name')}"


def rpc(service: str, op: str) -> str:
    return f"{PREFIX}.rpc.{check_token(service, 'service name')}.{check_token(op, 'operation')}"


GUARD_MINT = rpc("guard", "mint")
INDEXER_SEARCH = rpc("indexer", "search")


@dataclass(frozen=True)
class ParsedSubject:
    """What a subject says about the message: its tenant, kind and ids."""

    tenant: str
    kind: str  # "job" | "tenant" | "repo"
    event: str  # e.g. "step.proposed", "task.ready.backend", "created", "pushed"
    job_id: str | None = None
    repo_id: str | None = None

    @property
    def base_event(self) -> str:
        return "task.ready" if self.event.startswith("task.ready.") else self.event


def parse(subject: str) -> ParsedSubject:
    """Split a tenant subject into its parts, validating every token; raise InvalidId."""
    parts = subject.split(".")
    if len(parts) < 4 or parts[0] != PREFIX:
        raise InvalidId(f"not a DevForge tenant subject: {subject!r}")
    tenant = check_tenant(parts[1])
    kind = parts[2]
    if kind == "job" and len(parts) >= 5:
        job_id = check_job_id(parts[3])
        event = ".".join(parts[4:])
        job(tenant, job_id, event)  # validates the event name
        return ParsedSubject(tenant, "job", event, job_id=job_id)
    if kind == "tenant" and len(parts) == 4:
        if parts[3] != "created":
            raise InvalidId(f"unknown tenant event {parts[3]!r}")
        return ParsedSubject(tenant, "tenant", "created")
    if kind == "repo" and len(parts) == 5:
        repo_id = check_token(parts[3], "repo id")
        if parts[4] not in ("connected", "pushed"):
            raise InvalidId(f"unknown repo event {parts[4]!r}")
        return ParsedSubject(tenant, "repo", parts[4], repo_id=repo_id)
    raise InvalidId(f"not a DevForge tenant subject: {subject!r}")
