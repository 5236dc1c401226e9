"""Every message on the bus, as versioned pydantic models, and the one decoder services use.

Versioning rule: a reader knows ``SCHEMA_VERSION``. A message of that version with a field the
model does not know is refused; a message of the next version has unknown fields ignored (so a
rolling upgrade can add fields); any other version is unreadable and goes to the dead-letter
stream. Tenant and job ids travel in the subject, not the body (see ``shared.subjects``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from shared import inputs
from shared.ids import JobId, Token
from shared.roles import ENGINEER_ROLES, PLAN_KINDS

SCHEMA_VERSION = 1
MAX_BODY = 8 * 1024 * 1024  # bytes of one message body a reader parses at all


def _one_of(allowed: tuple[str, ...], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is not {what} ({', '.join(allowed)})")
        return value

    return AfterValidator(check)


# Both derive from the crew's roles (``shared.roles``); the schema lists them as an enum.
TaskKind = Annotated[
    str,
    _one_of(PLAN_KINDS, "a task kind"),
    WithJsonSchema({"enum": list(PLAN_KINDS), "type": "string"}),
]
Role = Annotated[
    str,
    _one_of(ENGINEER_ROLES, "an engineer role"),
    WithJsonSchema({"enum": list(ENGINEER_ROLES), "type": "string"}),
]


M = TypeVar("M", bound="Message")


class Unreadable(ValueError):
    """A message body this reader cannot read at all (dead-letter it, with this reason)."""


def _now() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every bus message: strict, immutable, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    EVENT: ClassVar[str] = ""
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)

    def identity(self) -> str:
        """The part of the message's identity beyond tenant/job/event (for Nats-Msg-Id)."""
        return "once"

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()


class Event(Message):
    """A message published by a DevForge service (carries when it happened)."""

    at: datetime = Field(default_factory=_now)


# ---- plan ----------------------------------------------------------------------------------


class PlanTask(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Token
    kind: TaskKind
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=8000)
    acceptance_criteria: list[str] = Field(default_factory=list, max_length=20)
    files: list[str] = Field(default_factory=list, max_length=50)


class TaskPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    summary: str = Field(default="", max_length=4000)
    tasks: list[PlanTask] = Field(min_length=1, max_length=12)


class GateResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    passed: bool
    detail: str = ""
    # What the gate measured on the base commit and on the change ("120 passed, 2 failed"),
    # where it has such a figure (the tests, from QA's baseline); empty otherwise.
    before: str = Field(default="", max_length=200)
    after: str = Field(default="", max_length=200)


# ---- ticket ---------------------------------------------------------------------------------


class TicketSubmitted(Event):
    EVENT: ClassVar[str] = "ticket.submitted"
    repo: Token
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20000)
    submitted_by: str = Field(min_length=1, max_length=200)
    # A follow-up (a review comment on a DevForge PR): the work starts from that job's branch
    # and lands on that job's pull request.
    follow_up_of: JobId | None = None


class TicketAccepted(Event):
    EVENT: ClassVar[str] = "ticket.accepted"


class FindingSummary(BaseModel):
    """Where a secret was found; never the secret itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    line: int


class TicketRejected(Event):
    EVENT: ClassVar[str] = "ticket.rejected"
    reason: str
    findings: list[FindingSummary] = Field(default_factory=list)


class TicketPlanned(Event):
    EVENT: ClassVar[str] = "ticket.planned"
    plan: TaskPlan
    attempt: int = 1

    def identity(self) -> str:
        return str(self.attempt)


# ---- guard decisions on plans ---------------------------------------------------------------


class PlanApproved(Event):
    EVENT: ClassVar[str] = "plan.approved"
    request_id: str | None = None
    approver: str | None = None


class PlanAwaitingApproval(Event):
    EVENT: ClassVar[str] = "plan.awaiting_approval"
    request_id: Token
    rule_ids: list[str]
    reasons: list[str]
    expires_at: datetime


class PlanDenied(Event):
    EVENT: ClassVar[str] = "plan.denied"
    rule_ids: list[str]
    reasons: list[str]


# ---- tasks ----------------------------------------------------------------------------------


class TaskReady(Event):
    EVENT: ClassVar[str] = "task.ready"
    task: PlanTask
    round: int = 1

    def identity(self) -> str:
        return f"{self.task.id}.{self.round}"


class TaskStarted(Event):
    EVENT: ClassVar[str] = "task.started"
    task_id: Token
    role: Role
    round: int = 1

    def identity(self) -> str:
        return f"{self.task_id}.{self.round}"


class TaskDone(Event):
    EVENT: ClassVar[str] = "task.done"
    task_id: Token
    role: Role
    round: int = 1
    commit: str | None = None
    summary: str = ""

    def identity(self) -> str:
        return f"{self.task_id}.{self.round}"


# ---- steps (the life of a tool call) ---------------------------------------------------------


class StepProposed(Event):
    EVENT: ClassVar[str] = "step.proposed"
    step_id: Token
    agent: str
    tool: str
    arguments: dict[str, Any]
    task_id: Token | None = None

    def identity(self) -> str:
        return self.step_id


class StepApproved(Event):
    EVENT: ClassVar[str] = "step.approved"
    step_id: Token
    tool: str
    args_sha256: str
    signature: str
    key_id: str
    request_id: str | None = None
    rule_ids: list[str] = Field(default_factory=list)

    def identity(self) -> str:
        return self.step_id


class StepDenied(Event):
    EVENT: ClassVar[str] = "step.denied"
    step_id: Token
    tool: str
    rule_ids: list[str]
    reasons: list[str]

    def identity(self) -> str:
        return self.step_id


class StepAwaitingApproval(Event):
    EVENT: ClassVar[str] = "step.awaiting_approval"
    step_id: Token
    request_id: Token
    tool: str
    summary: str
    rule_ids: list[str]
    reasons: list[str]
    expires_at: datetime

    def identity(self) -> str:
        return self.step_id


class StepResult(Event):
    EVENT: ClassVar[str] = "step.result"
    step_id: Token
    tool: str
    ok: bool
    output: str = Field(default="", max_length=65536)
    truncated: bool = False
    exit_code: int | None = None

    def identity(self) -> str:
        return self.step_id


# ---- approvals (published by any client holding a token) -------------------------------------


class ApprovalGranted(Message):
    """Wire shape for outside clients: ``{"request_id": "...", "token": "..."}``."""

    EVENT: ClassVar[str] = "approval.granted"
    request_id: Token
    token: str = Field(min_length=16, max_length=256)

    def identity(self) -> str:
        return _decision_identity(self.request_id, self.token)


def _decision_identity(request_id: str, token: str) -> str:
    """One decision per token: the same delivery twice is one message, and a decision made with
    a later token is never taken for a copy of an earlier one."""
    return f"{request_id}.{hashlib.sha256(token.encode()).hexdigest()[:16]}"


class ApprovalRefused(Message):
    EVENT: ClassVar[str] = "approval.refused"
    request_id: Token
    token: str = Field(min_length=16, max_length=256)
    reason: str = Field(default="", max_length=2000)

    def identity(self) -> str:
        return _decision_identity(self.request_id, self.token)


# ---- models, work, QA, PR ---------------------------------------------------------------------


class ModelTurn(Event):
    EVENT: ClassVar[str] = "model.turn"
    agent: str
    turn: int = Field(ge=0)
    model: str
    task_id: Token | None = None
    round: int = 1
    request: list[dict[str, Any]] = Field(default_factory=list)
    response: dict[str, Any] = Field(default_factory=dict)
    # What condensing left out of this turn's request (``shared.crew.condense``): masked tool
    # outputs and call arguments, and the request's tokens before and after.
    condensed: dict[str, int] | None = None

    def identity(self) -> str:
        return f"{self.agent}.{self.task_id or 'plan'}.{self.round}.{self.turn}"


class WorkDone(Event):
    EVENT: ClassVar[str] = "work.done"
    branch: str
    commit: str
    round: int = 1

    def identity(self) -> str:
        return str(self.round)


class QaPassed(Event):
    EVENT: ClassVar[str] = "qa.passed"
    round: int
    commit: str
    gates: list[GateResult]

    def identity(self) -> str:
        return str(self.round)


class QaFailed(Event):
    EVENT: ClassVar[str] = "qa.failed"
    round: int
    commit: str
    gates: list[GateResult]
    findings: list[str]

    def identity(self) -> str:
        return str(self.round)


class PrOpened(Event):
    EVENT: ClassVar[str] = "pr.opened"
    url: str
    number: int
    branch: str
    base: str


class JobFailed(Event):
    EVENT: ClassVar[str] = "job.failed"
    reason: str = Field(max_length=4000)
    service: str


class JobCancelled(Event):
    EVENT: ClassVar[str] = "job.cancelled"
    by: str
    reason: str = ""


class CostUpdated(Event):
    """One answered model call: ``agent`` is the agent run (``backend-t1-r1``), ``source`` where
    the dollar figure came from (the provider's own, the price table, or estimated tokens), or
    ``replay`` / ``oracle`` for DevForge's own test doubles, which cost nothing."""

    EVENT: ClassVar[str] = "cost.updated"
    agent: str
    model: str
    call_id: Token
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    cost_usd: float = Field(ge=0)
    role: str = ""
    task_id: Token | None = None
    round: int = Field(default=1, ge=1)
    turn: int | None = Field(default=None, ge=0)
    source: Literal["provider", "price_table", "estimated", "replay", "oracle"] = "price_table"

    def identity(self) -> str:
        return self.call_id


# ---- registry ---------------------------------------------------------------------------------


class TenantCreated(Event):
    EVENT: ClassVar[str] = "tenant.created"
    tenant: Token
    name: str
    external_id: str | None = None


class RepoConnected(Event):
    EVENT: ClassVar[str] = "repo.connected"
    repo_id: Token
    url: str
    default_branch: str


class RepoPushed(Event):
    EVENT: ClassVar[str] = "repo.pushed"
    repo_id: Token
    commit: str
    ref: str

    def identity(self) -> str:
        return self.commit


# ---- dead letters -----------------------------------------------------------------------------


class DeadLetter(Event):
    """What a service could not process: the reason and the original message, verbatim."""

    EVENT: ClassVar[str] = "dead_letter"
    service: str
    subject: str
    reason: str
    payload: str
    payload_encoding: Literal["utf-8", "base64"] = "utf-8"
    num_delivered: int = 1
    stream_seq: int | None = None


# ---- request/reply ---------------------------------------------------------------------------


class MintRequest(Message):
    """Ask the guard for a one-time approval token (callers: the gateway, the operator CLI)."""

    EVENT: ClassVar[str] = "rpc.guard.mint"
    tenant: Token
    request_id: Token
    approver: str = Field(min_length=1, max_length=200)
    minted_by: Literal["gateway", "operator"]
    break_glass: bool = False


class MintReply(Message):
    EVENT: ClassVar[str] = "rpc.guard.mint.reply"
    token: str | None = None
    job_id: str | None = None
    expires_at: datetime | None = None
    error: str | None = None


class SearchRequest(Message):
    """Ask the indexer for code (callers: the lead, the engineers, the operator CLI)."""

    EVENT: ClassVar[str] = "rpc.indexer.search"
    tenant: Token
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=50)
    repo: Token | None = None


class SearchHit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    repo: str
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    score: float
    text: str


class SearchReply(Message):
    EVENT: ClassVar[str] = "rpc.indexer.search.reply"
    hits: list[SearchHit] = Field(default_factory=list)
    error: str | None = None


JOB_MODELS: dict[str, type[Message]] = {
    m.EVENT: m
    for m in (
        TicketSubmitted,
        TicketAccepted,
        TicketRejected,
        TicketPlanned,
        PlanApproved,
        PlanAwaitingApproval,
        PlanDenied,
        TaskReady,
        TaskStarted,
        TaskDone,
        StepProposed,
        StepApproved,
        StepDenied,
        StepAwaitingApproval,
        StepResult,
        ApprovalGranted,
        ApprovalRefused,
        ModelTurn,
        WorkDone,
        QaPassed,
        QaFailed,
        PrOpened,
        JobFailed,
        JobCancelled,
        CostUpdated,
    )
}
REGISTRY_MODELS: dict[str, type[Message]] = {
    m.EVENT: m for m in (TenantCreated, RepoConnected, RepoPushed)
}
RPC_MODELS: dict[str, type[Message]] = {
    m.EVENT: m for m in (MintRequest, MintReply, SearchRequest, SearchReply)
}
ALL_MODELS: dict[str, type[Message]] = {
    **JOB_MODELS,
    **REGISTRY_MODELS,
    "dead_letter": DeadLetter,
    **RPC_MODELS,
}


def model_for(event: str) -> type[Message]:
    """The model of an event name; ``task.ready.<role>`` maps to ``task.ready``."""
    key = "task.ready" if event.startswith("task.ready.") else event
    try:
        return ALL_MODELS[key]
    except KeyError:
        raise Unreadable(f"unknown event {event!r}") from None


def decode(model: type[M], data: bytes) -> M:
    """Read a body by the versioning rule; raise ``Unreadable`` with a reason to act on (also
    for what no reader can take: endless nesting or numbers, NaN, NUL, lone surrogates)."""
    if len(data) > MAX_BODY:
        raise Unreadable(f"{model.EVENT}: body of {len(data)} bytes is over {MAX_BODY}")
    try:
        raw, wrong = inputs.parse(data)
    except (UnicodeDecodeError, inputs.NotJson) as exc:
        raise Unreadable(f"invalid JSON: {exc}") from None
    if wrong is not None:
        raise Unreadable(f"{model.EVENT}: {wrong}")
    if not isinstance(raw, dict):
        raise Unreadable(f"{model.EVENT}: body must be a JSON object, got {type(raw).__name__}")
    version = raw.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise Unreadable(f"{model.EVENT}: schema_version must be an integer, got {version!r}")
    if version == SCHEMA_VERSION + 1:
        raw = {k: v for k, v in raw.items() if k in model.model_fields}
    elif version != SCHEMA_VERSION:
        raise Unreadable(
            f"{model.EVENT}: unknown schema_version {version} "
            f"(this reader knows {SCHEMA_VERSION} and reads {SCHEMA_VERSION + 1} leniently)"
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise Unreadable(f"{model.EVENT}: {problems}") from None
