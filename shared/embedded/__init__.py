"""The embedded stack: nats-server, PostgreSQL (pgserver) and every service on one machine."""
