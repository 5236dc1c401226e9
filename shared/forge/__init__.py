"""Forges: where pull requests are opened. One protocol, a local forge (embedded default)."""
