"""Cost accounting: what each model call was for (role, task, round, turn), where its price came
from, and the reservations that hold a call's worst-case cost against the budgets while it runs.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UP = """
ALTER TABLE costs
    ADD COLUMN role    text NOT NULL DEFAULT '',
    ADD COLUMN task_id text,
    ADD COLUMN round   integer NOT NULL DEFAULT 1,
    ADD COLUMN turn    integer,
    ADD COLUMN source  text NOT NULL DEFAULT 'price_table';
CREATE INDEX costs_tenant_at ON costs (tenant_id, at);

CREATE TABLE cost_reservations (
    call_id      text PRIMARY KEY,
    tenant_id    text NOT NULL,
    job_id       text NOT NULL,
    ceiling_usd  numeric(12, 6) NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cost_reservations_job ON cost_reservations (tenant_id, job_id);
"""

DOWN = """
DROP TABLE cost_reservations;
DROP INDEX costs_tenant_at;
ALTER TABLE costs DROP COLUMN role, DROP COLUMN task_id, DROP COLUMN round, DROP COLUMN turn,
    DROP COLUMN source;
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
