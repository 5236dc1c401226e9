"""A repository's test command as its tenant set it (``devforge repos add --test-command``,
``POST /v1/repos``): for a repository whose tests neither pytest nor ``npm test`` find, and
that cannot carry a ``.devforge.toml``.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE repos ADD COLUMN test_command text")


def downgrade() -> None:
    op.execute("ALTER TABLE repos DROP COLUMN test_command")
