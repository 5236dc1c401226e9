"""The keyword leg of code search becomes BM25 over code's own words: each chunk's terms with
their counts (``code_terms``) and its length (``term_count``), scored at query time from the
tenant's (and repository's) own statistics. PostgreSQL's ``english`` full text, which it
replaces, ranked plain prose and knew nothing of identifiers.

The existing index is emptied (its chunks have no terms): the next ``devforge index`` of each
repository rebuilds it, re-using the cached embeddings.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UP = """
DELETE FROM code_vectors;
DELETE FROM code_chunks;
DELETE FROM code_index_state;
ALTER TABLE code_chunks DROP COLUMN tsv;
ALTER TABLE code_chunks DROP COLUMN terms;
ALTER TABLE code_chunks ADD COLUMN term_count integer NOT NULL DEFAULT 0;
CREATE TABLE code_terms (
    chunk_id  text NOT NULL REFERENCES code_chunks(id) ON DELETE CASCADE,
    tenant_id text NOT NULL,
    repo_id   text NOT NULL,
    term      text NOT NULL,
    tf        integer NOT NULL,
    PRIMARY KEY (chunk_id, term)
);
CREATE INDEX code_terms_lookup ON code_terms (tenant_id, term, repo_id);
"""

DOWN = """
DROP TABLE code_terms;
DELETE FROM code_vectors;
DELETE FROM code_chunks;
DELETE FROM code_index_state;
ALTER TABLE code_chunks DROP COLUMN term_count;
ALTER TABLE code_chunks ADD COLUMN terms text NOT NULL DEFAULT '';
ALTER TABLE code_chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(symbol, '')), 'A')
    || setweight(to_tsvector('english', path), 'B')
    || setweight(to_tsvector('english', terms), 'C')
) STORED;
CREATE INDEX code_chunks_tsv ON code_chunks USING gin (tsv);
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
