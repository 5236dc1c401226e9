"""The GitHub install flow's states: each binds one trip to GitHub's install page to the tenant
and the admin who started it. Short-lived and single-use; only a hash of the state is kept.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UP = """
CREATE TABLE github_install_states (
    state_hash  text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants(id),
    subject     text NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX github_install_states_expiry ON github_install_states (expires_at);
"""

DOWN = """
DROP TABLE github_install_states;
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
