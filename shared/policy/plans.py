"""Plan approval rules and step budgets.

A plan needs approval when any task is a migration or changes dependencies. This is decided by
rule from the task kind, title, description and file list, never from a flag the model sets:
a "backend" task that edits ``alembic/versions/...`` or ``requirements.txt`` is caught too.
Rule ids: ``plan.migration``, ``plan.dependency``, ``plan.unknown_kind``, ``budget.steps``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Protocol

from shared.policy.verdict import Verdict, allow, combine, deny, needs_approval
from shared.roles import PLAN_KINDS

__all__ = ["PlanTask", "assess_plan", "assess_step_budget"]

KINDS = frozenset(PLAN_KINDS)
_MIGRATION_FILE = re.compile(
    r"(?i)(?:^|/)(?:migrations?|alembic|db/migrate|versions|changelogs?|flyway|liquibase)/"
    r"|\.sql$|(?:^|/)schema\.prisma$|(?:^|/)alembic\.ini$"
)
_MIGRATION_TEXT = re.compile(
    r"(?i)\b(?:migrations?|migrate|alembic|schema (?:change|migration)|database schema"
    r"|(?:alter|create|drop|truncate|rename) (?:table|column|index|schema)"
    r"|(?:add|drop|rename|remove) (?:a |the )?(?:db |database )?column|backfill)\b"
)
_DEP_FILES = re.compile(
    r"(?i)^(?:requirements[\w.-]*\.(?:txt|in)|constraints[\w.-]*\.txt|pyproject\.toml|setup\.py"
    r"|setup\.cfg|pipfile(?:\.lock)?|poetry\.lock|uv\.lock|pdm\.lock|package\.json"
    r"|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?"
    r"|cargo\.(?:toml|lock)|go\.(?:mod|sum)|gemfile(?:\.lock)?|composer\.(?:json|lock)"
    r"|environment\.ya?ml|\.?npmrc|pom\.xml|build\.gradle(?:\.kts)?)$"
)
_DEP_TEXT = re.compile(
    r"(?i)\b(?:add(?:s|ed|ing)?|new|install(?:s|ed|ing)?|introduce|upgrade|bump|update"
    r"|downgrade|pin|unpin|remove|replace|swap)\b[^.\n]{0,40}?\b(?:dependenc(?:y|ies)"
    r"|packages?|librar(?:y|ies)|third[- ]party|deps?|lockfile|requirements?)\b"
    r"|\b(?:pip3?|npm|yarn|pnpm|poetry|uv|cargo|go|gem|bundle|composer) (?:install|add|get|i)\b"
    r"|\b(?:upgrade|bump|downgrade|pin)\s+[A-Za-z][\w.\-]*\s+(?:to|from)\b"
)


class PlanTask(Protocol):
    """Any object with these attributes (a pydantic model, a dataclass ...)."""

    @property
    def kind(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def files(self) -> Sequence[str]: ...


def _task_verdicts(index: int, task: PlanTask) -> list[Verdict]:
    label = f"task {index + 1} ({task.title!r})"
    kind = task.kind.strip().lower()
    text = f"{task.title}\n{task.description}"
    out: list[Verdict] = []
    if kind not in KINDS:
        out.append(needs_approval("plan.unknown_kind", f"{label}: unknown task kind {kind!r}"))
    if kind == "migration":
        out.append(needs_approval("plan.migration", f"{label}: migration task"))
    elif any(_MIGRATION_FILE.search(f) for f in task.files) or _MIGRATION_TEXT.search(text):
        out.append(needs_approval("plan.migration", f"{label}: touches the database schema"))
    dep_files = [f for f in task.files if _DEP_FILES.match(posixpath.basename(f.strip()))]
    if dep_files:
        out.append(needs_approval("plan.dependency", f"{label}: edits {', '.join(dep_files)}"))
    elif _DEP_TEXT.search(text):
        out.append(needs_approval("plan.dependency", f"{label}: changes dependencies"))
    return out


def assess_plan(tasks: Sequence[PlanTask]) -> Verdict:
    """Allow a plan unless a task is a migration or changes dependencies (then approval)."""
    verdicts = [v for i, task in enumerate(tasks) for v in _task_verdicts(i, task)]
    return combine(allow(), *verdicts)


def assess_step_budget(steps_so_far: int, limit: int) -> Verdict:
    """Deny the next step once ``steps_so_far`` has reached ``limit``."""
    if steps_so_far < 0:
        raise ValueError("steps_so_far must be >= 0")
    if steps_so_far >= limit:
        return deny("budget.steps", f"step budget exhausted ({steps_so_far}/{limit})")
    return allow()
