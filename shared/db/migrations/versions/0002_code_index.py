"""The code index: chunks with a full-text vector, pgvector embeddings, an embedding cache and
each repository's indexed commit.

Embeddings use an untyped ``vector`` column (any model's dimension); searches are exact scans
within one tenant's rows, which the (tenant, repo) indexes keep small.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UP = """
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE code_index_state (
    tenant_id  text NOT NULL REFERENCES tenants(id),
    repo_id    text NOT NULL,
    commit     text NOT NULL,
    model      text NOT NULL,
    files      integer NOT NULL,
    chunks     integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, repo_id)
);

CREATE TABLE code_chunks (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants(id),
    repo_id     text NOT NULL,
    path        text NOT NULL,
    start_line  integer NOT NULL,
    end_line    integer NOT NULL,
    symbol      text,
    kind        text NOT NULL,
    language    text NOT NULL,
    content_sha text NOT NULL,
    body        text NOT NULL,
    terms       text NOT NULL,
    tsv         tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(symbol, '')), 'A')
        || setweight(to_tsvector('english', path), 'B')
        || setweight(to_tsvector('english', terms), 'C')
    ) STORED
);
CREATE INDEX code_chunks_file ON code_chunks (tenant_id, repo_id, path);
CREATE INDEX code_chunks_tsv ON code_chunks USING gin (tsv);

CREATE TABLE code_vectors (
    chunk_id  text PRIMARY KEY,
    tenant_id text NOT NULL,
    repo_id   text NOT NULL,
    path      text NOT NULL,
    embedding vector NOT NULL
);
CREATE INDEX code_vectors_tenant ON code_vectors (tenant_id, repo_id);

CREATE TABLE embedding_cache (
    tenant_id   text NOT NULL,
    model       text NOT NULL,
    content_sha text NOT NULL,
    embedding   vector NOT NULL,
    PRIMARY KEY (tenant_id, model, content_sha)
);
"""

DOWN = """
DROP TABLE embedding_cache;
DROP TABLE code_vectors;
DROP TABLE code_chunks;
DROP TABLE code_index_state;
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
