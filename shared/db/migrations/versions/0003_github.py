"""GitHub App installations and the repositories connected through them.

An installation belongs to the one tenant that connected it first; a repository row of the
registry is linked to the installation and the GitHub repository it came from (webhooks find
the tenant and repository by these ids). No token is ever stored.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UP = """
CREATE TABLE github_installations (
    installation_id bigint PRIMARY KEY,
    tenant_id       text NOT NULL REFERENCES tenants(id),
    account         text NOT NULL,
    connected_by    text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE github_repos (
    tenant_id       text NOT NULL,
    repo_id         text NOT NULL,
    installation_id bigint NOT NULL REFERENCES github_installations(installation_id),
    github_id       bigint NOT NULL,
    full_name       text NOT NULL,
    PRIMARY KEY (tenant_id, repo_id),
    UNIQUE (installation_id, github_id),
    FOREIGN KEY (tenant_id, repo_id) REFERENCES repos(tenant_id, id)
);
"""

DOWN = """
DROP TABLE github_repos;
DROP TABLE github_installations;
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
