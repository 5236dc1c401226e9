"""QA's baseline: what the repository's tests said on a base commit, measured once per tenant,
repository and commit (before the engineers' change exists) and read by every job on that base:
the failures it lists were there before the change, and the PR shows the tally before -> after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(frozen=True)
class Baseline:
    commit: str
    tally: str  # "120 passed, 2 failed", as the runner summed it up
    failed: tuple[str, ...]  # the test ids failing on the base commit


async def get(pool: asyncpg.Pool[Any], tenant: str, repo: str, commit: str) -> Baseline | None:
    row = await pool.fetchrow(
        "SELECT tally, failed FROM qa_baselines WHERE tenant_id = $1 AND repo_id = $2 "
        "AND commit = $3",
        tenant,
        repo,
        commit,
    )
    return None if row is None else Baseline(commit, row["tally"], tuple(row["failed"]))


async def put(pool: asyncpg.Pool[Any], tenant: str, repo: str, baseline: Baseline) -> None:
    """Record a base commit's baseline (the first one recorded stays: they are equal runs)."""
    await pool.execute(
        "INSERT INTO qa_baselines (tenant_id, repo_id, commit, tally, failed) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        tenant,
        repo,
        baseline.commit,
        baseline.tally,
        list(baseline.failed),
    )
