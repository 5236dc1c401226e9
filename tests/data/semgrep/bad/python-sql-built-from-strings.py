"""Bad: SQL assembled from strings and values."""

import sqlite3

import asyncpg
import sqlalchemy


def find_user(cursor: sqlite3.Cursor, name: str) -> object:
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")  # expect: python-sql-built-from-strings
    return cursor.fetchone()


def delete_user(cursor: sqlite3.Cursor, user_id: str) -> None:
    cursor.execute("DELETE FROM users WHERE id = %s" % user_id)  # expect: python-sql-built-from-strings


def by_email(cursor: sqlite3.Cursor, email: str) -> None:
    cursor.execute("SELECT id FROM users WHERE email = '" + email + "'")  # expect: python-sql-built-from-strings


def rename(cursor: sqlite3.Cursor, table: str, name: str) -> None:
    query = "UPDATE {} SET name = '{}'".format(table, name)
    cursor.execute(query)  # expect: python-sql-built-from-strings


async def jobs(conn: asyncpg.Connection, tenant: str) -> object:
    sql = f"SELECT * FROM jobs WHERE tenant = '{tenant}'"
    return await conn.fetch(sql)  # expect: python-sql-built-from-strings


def count(engine: sqlalchemy.Engine, table: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sqlalchemy.text(f"SELECT count(*) FROM {table}"))  # expect: python-sql-built-from-strings
