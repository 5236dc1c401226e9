"""Identifier rules: every id that becomes a NATS subject token is validated here.

Tenant, repo and job ids are lowercase tokens of ``[a-z0-9-]``; job ids are lowercase ULIDs.
The words ``dlq``, ``rpc`` and ``sys`` are reserved because they sit in the tenant position of
system subjects. This module never touches the network or the database.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from ulid import ULID

RESERVED = frozenset({"dlq", "rpc", "sys"})
_TOKEN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ULID = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")


class InvalidId(ValueError):
    """An id that cannot be used as a subject token."""


def check_token(value: str, what: str = "id") -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise InvalidId(
            f"invalid {what} {value!r}: use 1-63 characters of a-z, 0-9 and '-', "
            "starting and ending with a letter or digit"
        )
    if value in RESERVED:
        raise InvalidId(f"invalid {what} {value!r}: '{value}' is reserved")
    return value


def check_tenant(value: str) -> str:
    return check_token(value, "tenant id")


def check_job_id(value: str) -> str:
    if not isinstance(value, str) or not _ULID.fullmatch(value):
        raise InvalidId(f"invalid job id {value!r}: expected a lowercase ULID")
    return value


def new_job_id() -> str:
    return str(ULID()).lower()


def new_id() -> str:
    """A lowercase ULID for steps, requests and events (sortable, subject-safe)."""
    return str(ULID()).lower()


def slugify(name: str) -> str:
    """Turn a display name into a tenant/repo slug, or fail with a clear reason."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")
    return check_token(slug, "name")


TenantId = Annotated[str, AfterValidator(check_tenant)]
Token = Annotated[str, AfterValidator(check_token)]
JobId = Annotated[str, AfterValidator(check_job_id)]
