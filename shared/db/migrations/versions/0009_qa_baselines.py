"""QA's baseline: the repository's tests run once on a base commit, kept per tenant, repository
and commit, so the jobs on one base share it and a PR shows each figure before -> after.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE qa_baselines (
    tenant_id  text NOT NULL REFERENCES tenants(id),
    repo_id    text NOT NULL,
    commit     text NOT NULL,
    tally      text NOT NULL,
    failed     text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, repo_id, commit)
)
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE qa_baselines")
