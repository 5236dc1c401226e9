"""Good: credentials from the environment; names that only mention secrets.  good: python-hardcoded-secret"""

import os

import psycopg

DB_PASSWORD = os.environ["DB_PASSWORD"]
API_KEY_ENV = "STRIPE_API_KEY"
PASSWORD_FIELD = "password"
secret_name = "devforge/prod/db"
password = ""
TOKEN_TYPE = "Bearer"


def connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host="db", user="app", password=os.environ["PGPASSWORD"])


def placeholder() -> dict[str, str]:
    return {"password": "<set me>"}

PASSWORD_ENV_PREFIX = "DEVFORGE_NATS_PASSWORD_"
EXAMPLE_API_KEY = "sk-example-not-real"
