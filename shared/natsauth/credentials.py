"""The passwords of every bus identity, in one JSON file that only its owner can read."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shared.ids import check_tenant
from shared.natsauth.model import OPERATOR, SERVICE_IDENTITIES, TENANT_USER_PREFIX, tenant_user

FORMAT_VERSION = 1


def new_password() -> str:
    """256 bits from the OS CSPRNG, URL-safe (no quoting needed in URLs or the config)."""
    return secrets.token_urlsafe(32)


class Credentials:
    """Passwords per identity, persisted as JSON (mode 0600) at ``path``.

    ``{"version": 1, "identities": {"operator": ..., "guard": ...}, "tenants": {"acme": ...}}``.
    Changes are read-modify-written under an exclusive lock on ``<path>.lock`` and replaced
    atomically, so the CLI and a running stack can add tenants at the same time.
    """

    def __init__(self, path: Path, identities: dict[str, str], tenants: dict[str, str]) -> None:
        self.path = path
        self._identities = dict(identities)
        self._tenants = dict(tenants)

    # ---- files -----------------------------------------------------------------------------

    @classmethod
    def load_or_create(cls, path: Path) -> Credentials:
        """Load the file, creating it (and any identity missing from it) with new passwords."""
        path = Path(path)
        with _locked(path):
            identities, tenants = _read(path)
            missing = [i for i in (OPERATOR, *SERVICE_IDENTITIES) if i not in identities]
            for identity in missing:
                identities[identity] = new_password()
            if missing or not path.exists():
                _write(path, identities, tenants)
        return cls(path, identities, tenants)

    def reload(self) -> None:
        with _locked(self.path):
            self._identities, self._tenants = _read(self.path)

    # ---- queries ---------------------------------------------------------------------------

    def password(self, identity: str) -> str:
        """The password of a service identity, ``operator``, or a tenant user ``tenant-<slug>``."""
        if identity in self._identities:
            return self._identities[identity]
        if identity.startswith(TENANT_USER_PREFIX):
            slug = identity[len(TENANT_USER_PREFIX) :]
            if slug in self._tenants:
                return self._tenants[slug]
        raise KeyError(f"no NATS credentials for {identity!r}")

    def tenants(self) -> list[str]:
        return sorted(self._tenants)

    def ensure_tenant(self, tenant: str) -> tuple[str, str]:
        """The tenant's external user and password, created (and persisted) on first use."""
        check_tenant(tenant)
        with _locked(self.path):
            identities, tenants = _read(self.path)
            if tenant not in tenants:
                tenants[tenant] = new_password()
                _write(self.path, identities or self._identities, tenants)
            self._identities = identities or self._identities
            self._tenants = tenants
        return tenant_user(tenant), self._tenants[tenant]

    def __repr__(self) -> str:  # never show a password
        return f"Credentials({str(self.path)!r}, tenants={self.tenants()!r})"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    if not path.exists():
        return {}, {}
    data: Any = json.loads(path.read_text())
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a DevForge NATS credentials file (version {FORMAT_VERSION})")
    identities, tenants = data.get("identities", {}), data.get("tenants", {})
    for section in (identities, tenants):
        if not isinstance(section, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in section.items()
        ):
            raise ValueError(f"{path}: malformed credentials")
    for slug in tenants:
        check_tenant(slug)
    return dict(identities), dict(tenants)


def _write(path: Path, identities: dict[str, str], tenants: dict[str, str]) -> None:
    data = {"version": FORMAT_VERSION, "identities": identities, "tenants": tenants}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
