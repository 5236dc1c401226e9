"""PostgreSQL access: connection pools (asyncpg) and schema migrations (alembic)."""
