from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import BaseModel

from shared.policy.plans import assess_plan, assess_step_budget


@dataclass
class Task:
    kind: str
    title: str
    description: str = ""
    files: list[str] = field(default_factory=list)
    needs_approval: bool = False  # a model-provided flag the policy must ignore


class ModelTask(BaseModel):
    kind: str
    title: str
    description: str
    files: list[str]


def test_plain_plan_is_allowed() -> None:
    plan = [
        Task("backend", "Validate email on signup", "Reject malformed emails", ["src/auth.py"]),
        Task("frontend", "Show error message", "Inline error under the field", ["web/Form.tsx"]),
        Task("qa", "Tests for email validation", "Unit tests", ["tests/test_auth.py"]),
    ]
    assert assess_plan(plan).verdict == "allow"
    assert assess_plan([]).verdict == "allow"


def test_migration_task_needs_approval_regardless_of_flag() -> None:
    v = assess_plan([Task("migration", "Add column", "nullable", ["x.py"], needs_approval=False)])
    assert v.verdict == "needs_approval"
    assert v.rule_ids == ["plan.migration"]


@pytest.mark.parametrize(
    "task",
    [
        Task("backend", "Store phone", "", ["alembic/versions/0007_phone.py"]),
        Task("backend", "Store phone", "", ["db/schema.sql"]),
        Task("backend", "Store phone", "ALTER TABLE users ADD COLUMN phone text"),
        Task("backend", "Store phone", "Add a column for the phone number and backfill it"),
        Task("backend", "Run the migration", ""),
    ],
)
def test_migrations_detected_from_files_and_text(task: Task) -> None:
    assert "plan.migration" in assess_plan([task]).rule_ids


@pytest.mark.parametrize(
    "task",
    [
        Task("backend", "HTTP client", "", ["requirements.txt"]),
        Task("backend", "HTTP client", "", ["services/api/pyproject.toml"]),
        Task("frontend", "Dates", "", ["web/package.json", "web/package-lock.json"]),
        Task("backend", "HTTP client", "Add the httpx dependency for outbound calls"),
        Task("backend", "Framework", "Upgrade fastapi to 0.115"),
        Task("frontend", "Charts", "npm install chart.js and render the graph"),
        Task("backend", "Go", "", ["go.mod"]),
    ],
)
def test_dependency_changes_detected(task: Task) -> None:
    v = assess_plan([task])
    assert v.verdict == "needs_approval"
    assert "plan.dependency" in v.rule_ids


def test_rules_combine_across_tasks_and_name_the_task() -> None:
    v = assess_plan(
        [
            Task("backend", "Add httpx", "", ["requirements.txt"]),
            Task("migration", "Phone column", ""),
        ]
    )
    assert v.rule_ids == ["plan.dependency", "plan.migration"]
    assert "task 1 ('Add httpx')" in v.reasons[0]
    assert "task 2" in v.reasons[1]


def test_unknown_kind_needs_approval() -> None:
    assert assess_plan([Task("ops", "Rotate keys")]).rule_ids == ["plan.unknown_kind"]


def test_pydantic_models_satisfy_the_protocol() -> None:
    task = ModelTask(kind="qa", title="More tests", description="edge cases", files=["t.py"])
    assert assess_plan([task]).verdict == "allow"


def test_step_budget() -> None:
    assert assess_step_budget(0, 10).verdict == "allow"
    assert assess_step_budget(9, 10).verdict == "allow"
    v = assess_step_budget(10, 10)
    assert (v.verdict, v.rule_ids) == ("deny", ["budget.steps"])
    assert assess_step_budget(0, 0).verdict == "deny"
    with pytest.raises(ValueError, match=">= 0"):
        assess_step_budget(-1, 10)
