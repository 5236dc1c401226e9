"""The forge protocol: what the publisher needs from any forge (local or GitHub)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class PrRequest:
    tenant: str
    job_id: str
    repo_id: str
    source_url: str  # the registered repository
    workspace: Path  # the internal workspace remote holding the job branch
    branch: str
    base: str
    title: str
    body: str
    pr_branch: str | None = None  # the forge's branch, if not ``branch`` (a follow-up's PR)


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    branch: str
    base: str
    head: str
    created: bool  # False when an earlier delivery already opened it


class PushRejected(RuntimeError):
    """The forge refused the push (e.g. push protection); the reason is the forge's."""


class Forge(Protocol):
    async def open_pr(self, req: PrRequest) -> PullRequest:
        """Push the squashed branch and open the PR; return the existing one if already open."""
