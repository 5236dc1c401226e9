"""Observability: Prometheus metrics and OpenTelemetry traces of every service."""
