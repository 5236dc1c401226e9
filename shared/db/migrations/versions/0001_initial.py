"""The initial schema: registry, jobs and their events, approvals, audit, executions, costs, PRs.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UP = """
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    external_id text UNIQUE,
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE repos (
    tenant_id      text NOT NULL REFERENCES tenants(id),
    id             text NOT NULL,
    url            text NOT NULL,
    default_branch text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE jobs (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL REFERENCES tenants(id),
    repo_id          text NOT NULL,
    title            text NOT NULL,
    submitted_by     text NOT NULL,
    status           text NOT NULL,
    awaiting_request text,
    failure_reason   text,
    last_seq         bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at DESC);
CREATE INDEX jobs_active ON jobs (status, updated_at)
    WHERE status NOT IN ('completed', 'rejected', 'failed', 'cancelled');

CREATE TABLE job_events (
    stream_seq bigint PRIMARY KEY,
    tenant_id  text NOT NULL,
    job_id     text NOT NULL,
    event      text NOT NULL,
    body       jsonb NOT NULL,
    applied    boolean NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON job_events (tenant_id, job_id, stream_seq);

CREATE TABLE approvals (
    request_id       text PRIMARY KEY,
    tenant_id        text NOT NULL,
    job_id           text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('plan', 'step')),
    step_id          text,
    tool             text,
    arguments        jsonb,
    args_sha256      text,
    summary          text NOT NULL DEFAULT '',
    rule_ids         text[] NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'granted', 'refused', 'expired', 'superseded')),
    expires_at       timestamptz NOT NULL,
    token_hash       text UNIQUE,
    token_expires_at timestamptz,
    approver         text,
    minted_by        text,
    break_glass      boolean NOT NULL DEFAULT false,
    minted_at        timestamptz,
    decided_at       timestamptz,
    reason           text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX approvals_one_per_step ON approvals (tenant_id, job_id, step_id)
    WHERE step_id IS NOT NULL;
CREATE UNIQUE INDEX approvals_one_per_plan ON approvals (tenant_id, job_id)
    WHERE kind = 'plan';
CREATE INDEX approvals_pending ON approvals (tenant_id, status);

CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    tenant_id text NOT NULL,
    job_id    text,
    actor     text NOT NULL,
    action    text NOT NULL,
    verdict   text,
    rule_ids  text[] NOT NULL DEFAULT '{}',
    reason    text NOT NULL DEFAULT '',
    details   jsonb NOT NULL DEFAULT '{}'::jsonb,
    msg_key   text UNIQUE,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_job ON audit_log (tenant_id, job_id, action);

CREATE TABLE executions (
    tenant_id   text NOT NULL,
    job_id      text NOT NULL,
    step_id     text NOT NULL,
    tool        text NOT NULL,
    args_sha256 text NOT NULL,
    status      text NOT NULL DEFAULT 'started',
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, job_id, step_id)
);

CREATE TABLE costs (
    call_id       text PRIMARY KEY,
    tenant_id     text NOT NULL,
    job_id        text NOT NULL,
    agent         text NOT NULL,
    model         text NOT NULL,
    input_tokens  integer NOT NULL,
    output_tokens integer NOT NULL,
    cost_usd      numeric(12, 6) NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX costs_job ON costs (tenant_id, job_id);

CREATE TABLE pull_requests (
    tenant_id  text NOT NULL,
    job_id     text PRIMARY KEY,
    repo_id    text NOT NULL,
    number     integer NOT NULL,
    url        text NOT NULL,
    branch     text NOT NULL,
    base       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    state      text NOT NULL DEFAULT 'open',
    head       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, repo_id, number)
);

CREATE TABLE processed_messages (
    consumer text NOT NULL,
    msg_key  text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, msg_key)
);
"""

DOWN = """
DROP TABLE processed_messages, pull_requests, costs, executions, audit_log, approvals,
    job_events, jobs, repos, tenants;
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
