"""The guard's signed decisions: what is signed, how, and how an executor verifies it.

A step decision is an Ed25519 signature over the RFC 8785 canonical JSON of
``{"tenant", "job", "step", "tool", "args_sha256"}``, where ``args_sha256`` is the SHA-256 of the
RFC 8785 canonical arguments. The guard holds the private key; executors (the MCP servers) hold
only public keys from their deployment configuration. Pure apart from key files.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey


class DecisionInvalid(PermissionError):
    """A decision that does not authorise this exact call (the reason says why)."""


def canonical(value: Any) -> bytes:
    try:
        return bytes(rfc8785.dumps(value))
    except (TypeError, ValueError) as exc:  # e.g. NaN, non-string keys, huge integers
        raise DecisionInvalid(f"arguments cannot be canonicalised: {exc}") from None


def args_sha256(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(arguments)).hexdigest()


def payload(tenant: str, job_id: str, step_id: str, tool: str, args_hash: str) -> bytes:
    return canonical(
        {"tenant": tenant, "job": job_id, "step": step_id, "tool": tool, "args_sha256": args_hash}
    )


def key_id(verify_key: VerifyKey) -> str:
    return hashlib.sha256(bytes(verify_key)).hexdigest()[:16]


@dataclass(frozen=True)
class Signature:
    signature: str  # base64
    key_id: str
    args_sha256: str


class Signer:
    """The guard's signing key (never leaves the guard)."""

    def __init__(self, key: SigningKey) -> None:
        self._key = key
        self.key_id = key_id(key.verify_key)

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        if path.exists():
            return cls(SigningKey(base64.b64decode(path.read_text().strip())))
        path.parent.mkdir(parents=True, exist_ok=True)
        key = SigningKey.generate()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(bytes(key)).decode())
        return cls(key)

    @property
    def public_key(self) -> str:
        return base64.b64encode(bytes(self._key.verify_key)).decode()

    def sign(
        self, tenant: str, job_id: str, step_id: str, tool: str, arguments: dict[str, Any]
    ) -> Signature:
        h = args_sha256(arguments)
        sig = self._key.sign(payload(tenant, job_id, step_id, tool, h)).signature
        return Signature(base64.b64encode(sig).decode(), self.key_id, h)


class Verifier:
    """What an executor trusts: the guard's public key(s), by key id."""

    def __init__(self, public_keys: list[str]) -> None:
        self._keys: dict[str, VerifyKey] = {}
        for pk in public_keys:
            vk = VerifyKey(base64.b64decode(pk))
            self._keys[key_id(vk)] = vk
        if not self._keys:
            raise ValueError("no guard public key configured (DEVFORGE_GUARD_PUBLIC_KEY)")

    def verify(
        self,
        *,
        tenant: str,
        job_id: str,
        step_id: str,
        tool: str,
        arguments: dict[str, Any],
        signature: str,
        signed_key_id: str,
        signed_args_sha256: str,
    ) -> None:
        """Raise DecisionInvalid unless the guard approved exactly this call."""
        vk = self._keys.get(signed_key_id)
        if vk is None:
            raise DecisionInvalid(f"unknown signing key {signed_key_id!r}")
        actual = args_sha256(arguments)
        if actual != signed_args_sha256:
            raise DecisionInvalid("the arguments differ from the ones the guard approved")
        try:
            raw = base64.b64decode(signature, validate=True)
            vk.verify(payload(tenant, job_id, step_id, tool, actual), raw)
        except (BadSignatureError, ValueError):
            raise DecisionInvalid("the decision's signature is not valid") from None
