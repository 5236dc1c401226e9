"""Good: parameterised SQL.  good: python-sql-built-from-strings"""

import sqlite3

import asyncpg
import sqlalchemy

COLUMNS = {"name": "name", "email": "email"}


def find_user(cursor: sqlite3.Cursor, name: str) -> object:
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cursor.fetchone()


def delete_user(cursor: sqlite3.Cursor, user_id: str) -> None:
    query = "DELETE FROM users WHERE id = %s"
    cursor.execute(query, (user_id,))


async def jobs(conn: asyncpg.Connection, tenant: str) -> object:
    return await conn.fetch("SELECT * FROM jobs WHERE tenant = $1", tenant)


def count(engine: sqlalchemy.Engine, tenant: str) -> object:
    with engine.connect() as conn:
        statement = sqlalchemy.text("SELECT count(*) FROM jobs WHERE tenant = :t")
        return conn.execute(statement, {"t": tenant})


def log_line(user: str) -> str:
    return f"SELECT issued by {user}"
