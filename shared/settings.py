"""All configuration, from environment variables prefixed ``DEVFORGE_`` (listed in the README)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str, *others: str) -> AliasChoices:
    """``DEVFORGE_<NAME>``, then the names the tool's own clients read."""
    return AliasChoices(f"DEVFORGE_{name}", *others)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEVFORGE_", extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path(".devforge"), description="data directory of the stack")
    nats_url: str | None = Field(default=None, description="external NATS; unset: embedded")
    database_url: str | None = Field(
        default=None, description="external PostgreSQL; unset: embedded"
    )
    tenant: str = Field(default="demo", description="default tenant of user commands")
    log_level: str = Field(default="info", description="debug, info, warning or error")
    max_deliver: int = Field(default=5, ge=1, description="deliveries before a dead letter")
    ack_wait: float = Field(default=30.0, gt=0, description="seconds before redelivery")
    retry_delay: float = Field(default=1.0, ge=0, description="first retry delay, seconds")
    outage_grace: float = Field(
        default=300.0, gt=0, description="seconds a handler waits out an unreachable bus or DB"
    )
    watchdog_deadline: float = Field(default=900.0, gt=0, description="silence that fails a job")
    watchdog_interval: float = Field(default=15.0, gt=0, description="seconds between sweeps")
    approval_timeout: float = Field(default=3600.0, gt=0, description="seconds an approval waits")
    approval_token_ttl: float = Field(default=900.0, gt=0, description="seconds a token is valid")
    max_steps: int = Field(default=200, ge=1, description="tool calls one job may make")
    guard_key_file: Path | None = Field(default=None, description="guard's Ed25519 key file")
    prepare_index_url: str = Field(
        default="https://pypi.org/simple", description="package index of the prepare phase"
    )
    prepare_allowlist: str = Field(
        default="pypi.org,files.pythonhosted.org,registry.npmjs.org",
        description="hosts the prepare phase reaches",
    )
    prepare_npm_registry: str = Field(
        default="https://registry.npmjs.org/", description="npm registry of the prepare phase"
    )
    prepare_timeout: float = Field(default=600.0, gt=0, description="seconds a prepare may take")
    private_indexes: Path | None = Field(
        default=None, description="TOML file of each tenant's private package index"
    )
    guard_public_key: str | None = Field(default=None, description="executors' trusted key(s)")
    qa_gates: str = Field(default="tests,coverage,lint,semgrep,secrets", description="QA's gates")
    coverage_threshold: int = Field(default=60, ge=0, le=100, description="QA coverage gate, %")
    agent_max_turns: int = Field(default=30, ge=1, description="model turns per agent run")
    agent_map_tokens: int = Field(
        default=1024, ge=0, description="tokens of repo map in an engineer's first message"
    )
    agent_search_hits: int = Field(
        default=5, ge=0, le=20, description="code-search hits in an engineer's first message"
    )
    agent_context_tokens: int = Field(
        default=60_000, ge=1000, description="request tokens before old tool outputs condense"
    )
    model_transcript: str | None = Field(default=None, description="replayed transcript name")
    gateway_host: str = Field(default="127.0.0.1", description="gateway bind address")
    gateway_port: int = Field(default=0, ge=0, description="gateway port; 0 picks a free one")
    admin_token: str | None = Field(default=None, description="operator token for the gateway")
    oidc_issuer: str | None = Field(default=None, description="OIDC issuer (https)")
    oidc_audience: str | None = Field(default=None, description="audience tokens must carry")
    oidc_client_id: str | None = Field(default=None, description="dashboard sign-in client")
    oidc_jwks_url: str | None = Field(default=None, description="JWKS URL, else discovered")
    tenant_claim: str = Field(default="org_id", description="claim naming the tenant")
    role_claim: str | None = Field(default=None, description="claim naming the role")
    submit_rate: int = Field(default=30, ge=1, description="tickets per tenant per minute")
    max_body: int = Field(default=256 * 1024, ge=1024, description="largest request body, bytes")
    stream_replicas: int = Field(
        default=1, ge=1, le=5, description="JetStream replicas of every stream (3 on a cluster)"
    )
    ready_timeout: float = Field(default=120.0, gt=0, description="seconds `up` waits for services")
    embedding_model: str | None = Field(
        default=None, description="sentence-transformers model name or directory; unset: MiniLM"
    )
    embedding_batch_size: int = Field(default=64, ge=1, description="texts per model call")
    embedding_max_seq_length: int = Field(default=256, ge=8, description="tokens per text")
    embedding_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        default="onnx-int8", description="onnx-int8, onnx (float) or torch"
    )
    embedding_batch_tokens: int = Field(
        default=512, ge=8, description="padded tokens per ONNX model call"
    )
    embedding_threads: int = Field(default=0, ge=0, description="embedding threads; 0: all CPUs")
    embedding_cache: Path | None = Field(
        default=None, description="exported ONNX models; unset: ~/.cache/devforge/models"
    )
    vector_store: str = Field(default="pgvector", description="pgvector or pinecone")
    pinecone_api_key: str | None = Field(default=None, description="Pinecone API key")
    pinecone_host: str | None = Field(default=None, description="the Pinecone index's host URL")
    index_max_file_bytes: int = Field(default=512_000, ge=1, description="larger files: skipped")
    index_mirrors: Path | None = Field(default=None, description="clones of non-local repos")
    github_app_id: str | None = Field(default=None, description="the GitHub App's id")
    github_private_key: str | None = Field(default=None, description="the App's PEM private key")
    github_private_key_file: Path | None = Field(default=None, description="file holding that key")
    github_webhook_secret: str | None = Field(default=None, description="webhook HMAC secret")
    github_api_url: str = Field(
        default="https://api.github.com", description="GitHub's REST API (or a GHES / stand-in)"
    )
    github_app_slug: str | None = Field(default=None, description="the App's URL name")
    github_client_id: str | None = Field(default=None, description="the App's OAuth client id")
    github_client_secret: str | None = Field(default=None, description="its client secret")
    github_oauth_url: str = Field(
        default="https://github.com", description="GitHub's web host (install page, OAuth)"
    )
    job_budget_usd: float = Field(default=5.0, ge=0, description="model dollars per job; 0: none")
    tenant_monthly_budget_usd: float = Field(
        default=100.0, ge=0, description="model dollars per tenant per month (UTC); 0: none"
    )
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="/metrics port; 0: a free one; unset: off"
    )
    metrics_host: str = Field(default="127.0.0.1", description="/metrics bind address")
    langfuse_host: str | None = Field(
        default=None,
        validation_alias=_env("LANGFUSE_HOST", "LANGFUSE_BASE_URL", "LANGFUSE_HOST"),
        description="Langfuse (or OTLP receiver) base URL; unset: no tracing",
    )
    langfuse_public_key: str | None = Field(
        default=None, validation_alias=_env("LANGFUSE_PUBLIC_KEY", "LANGFUSE_PUBLIC_KEY")
    )
    langfuse_secret_key: str | None = Field(
        default=None,
        validation_alias=_env("LANGFUSE_SECRET_KEY", "LANGFUSE_SECRET_KEY"),
        repr=False,
    )
    langfuse_project_id: str | None = Field(
        default=None, description="Langfuse project id, for direct trace links"
    )

    def mirrors_dir(self) -> Path:
        return self.index_mirrors or self.home / "index" / "mirrors"

    def github_key(self) -> str | None:
        """The App's private key (PEM), from the variable or the file; None when unset."""
        if self.github_private_key:
            return self.github_private_key
        if self.github_private_key_file:
            return self.github_private_key_file.read_text()
        return None

    def key_file(self) -> Path:
        return self.guard_key_file or self.home / "keys" / "guard.ed25519"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
