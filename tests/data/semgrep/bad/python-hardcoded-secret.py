"""Bad: credentials written into the source."""

import psycopg

DB_PASSWORD = "s3cr3t-Passw0rd"  # expect: python-hardcoded-secret
STRIPE_API_KEY = "sk_live_51HxAbCdEfGh"  # expect: python-hardcoded-secret


class Settings:
    def __init__(self) -> None:
        self.client_secret = "0a1b2c3d4e5f6a7b"  # expect: python-hardcoded-secret


def connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host="db", user="app", password="hunter2-prod")  # expect: python-hardcoded-secret
