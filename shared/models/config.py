"""Per-agent model configuration: the packaged ``models.yaml``, another file, then the environment.

Precedence, lowest first: ``shared/models/models.yaml`` < ``DEVFORGE_MODELS_FILE`` (its
``defaults`` and ``prices`` are merged key by key, its roles replace whole roles) < environment
variables (``DEVFORGE_MODEL_BASE_URL``, ``DEVFORGE_MODEL_API_KEY``, ``DEVFORGE_MODEL_<ROLE>``, ...).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.roles import CREW_ROLES

ROLES = CREW_ROLES  # the model configuration has an entry per crew role
OPENROUTER_URL = "https://openrouter.ai/api/v1"
DEFAULT_KEY_ENVS = ("DEVFORGE_MODEL_API_KEY", "OPENROUTER_API_KEY")
LOCAL_API_KEY = "devforge-local"  # nosemgrep: python-hardcoded-secret (a placeholder, not a secret)
T = TypeVar("T")
_LOCAL_SUFFIXES = (".local", ".internal", ".localhost", ".svc", ".cluster.local")


class ModelConfigError(ValueError):
    """The model configuration is unusable (bad YAML, unknown role, missing API key)."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key_env: list[str] | None = None
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    # the models of a crew role the file does not list (a role just added to shared.roles)
    model: str | None = Field(default=None, min_length=1)
    fallbacks: list[str] | None = None


class _Role(_Settings):
    model: str = Field(min_length=1)
    fallbacks: list[str] = Field(default_factory=list)


class Price(BaseModel):
    """US dollars per million tokens, read and written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: _Settings = Field(default_factory=_Settings)
    agents: dict[str, _Role] = Field(default_factory=dict)
    prices: dict[str, Price] = Field(default_factory=dict)


@dataclass(frozen=True)
class AgentModelConfig:
    """What one agent role calls: ``models[0]`` first, then each fallback in order."""

    role: str
    models: tuple[str, ...]
    base_url: str
    api_key: str = field(repr=False)
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float = 120.0
    max_retries: int = 2

    def __post_init__(self) -> None:
        if not self.models:
            raise ModelConfigError(f"role {self.role!r} has no model")

    @property
    def primary(self) -> str:
        return self.models[0]

    @property
    def fallbacks(self) -> tuple[str, ...]:
        return self.models[1:]


def is_local_url(url: str) -> bool:
    """Loopback, private-network and cluster-internal hosts may be called without an API key."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


def _read(text: str, origin: str) -> _File:
    try:
        data: Any = yaml.safe_load(text) or {}
        return _File.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ModelConfigError(f"invalid model configuration {origin}: {exc}") from exc


def load_models_file(env: Mapping[str, str] | None = None) -> _File:
    """The packaged file with ``DEVFORGE_MODELS_FILE`` laid over it."""
    env = os.environ if env is None else env
    packaged = resources.files("shared.models").joinpath("models.yaml").read_text("utf-8")
    merged = _read(packaged, "shared/models/models.yaml")
    extra = env.get("DEVFORGE_MODELS_FILE")
    if extra:
        path = Path(extra)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ModelConfigError(f"DEVFORGE_MODELS_FILE {path}: {exc.strerror}") from exc
        over = _read(text, str(path))
        defaults = merged.defaults.model_copy(update=over.defaults.model_dump(exclude_unset=True))
        merged = _File(
            defaults=defaults,
            agents={**merged.agents, **over.agents},
            prices={**merged.prices, **over.prices},
        )
    return merged


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _pick(*values: T | None, default: T) -> T:
    for value in values:
        if value is not None:
            return value
    return default


def model_config(role: str, env: Mapping[str, str] | None = None) -> AgentModelConfig:
    """Resolve one role's models, endpoint and key; raise ``ModelConfigError`` if unusable."""
    env = os.environ if env is None else env
    loaded = load_models_file(env)
    entry = loaded.agents.get(role)
    if entry is None and role in ROLES and loaded.defaults.model:  # a crew role not listed
        entry = _Role(model=loaded.defaults.model, fallbacks=loaded.defaults.fallbacks or [])
    if entry is None:
        known = ", ".join(sorted(loaded.agents))
        raise ModelConfigError(f"no model configured for agent role {role!r} (known: {known})")
    d = loaded.defaults
    override = env.get(f"DEVFORGE_MODEL_{role.upper()}", "")
    models = _split(override) or (entry.model, *entry.fallbacks)
    base_url = env.get("DEVFORGE_MODEL_BASE_URL") or entry.base_url or d.base_url or OPENROUTER_URL
    key_envs = tuple(_pick(entry.api_key_env, d.api_key_env, default=list(DEFAULT_KEY_ENVS)))
    api_key = next((env[name] for name in key_envs if env.get(name)), None)
    if api_key is None:
        if not is_local_url(base_url):
            raise ModelConfigError(
                f"no API key for agent role {role!r} at {base_url}: set "
                + " or ".join(key_envs)
                + " (or DEVFORGE_MODEL_BASE_URL to a local server)"
            )
        api_key = LOCAL_API_KEY
    timeout_env = env.get("DEVFORGE_MODEL_TIMEOUT")
    retries_env = env.get("DEVFORGE_MODEL_MAX_RETRIES")
    try:
        timeout = float(timeout_env) if timeout_env else None
        retries = int(retries_env) if retries_env else None
    except ValueError as exc:
        raise ModelConfigError(f"DEVFORGE_MODEL_TIMEOUT / _MAX_RETRIES: {exc}") from exc
    return AgentModelConfig(
        role=role,
        models=models,
        base_url=base_url,
        api_key=api_key,
        temperature=_pick(entry.temperature, d.temperature, default=None),
        max_tokens=_pick(entry.max_tokens, d.max_tokens, default=None),
        timeout=_pick(timeout, entry.timeout, d.timeout, default=120.0),
        max_retries=_pick(retries, entry.max_retries, d.max_retries, default=2),
    )
