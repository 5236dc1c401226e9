"""What an engineer is told first: the ticket, the lead's analysis, the plan with its own task
marked, and what was done before it (a fix round: its own earlier summary too)."""

from __future__ import annotations

from pathlib import Path

from shared.crew.prompts import task_text
from shared.crew.repomap import repo_map

PLAN = {
    "summary": "Add the endpoint, then the column.",
    "tasks": [
        {"id": "t1", "kind": "backend", "title": "GET /health"},
        {"id": "t2", "kind": "migration", "title": "items.created_at"},
    ],
}


def test_the_plan_with_its_own_task_marked_and_what_was_done() -> None:
    done = [{"task_id": "t1", "role": "backend", "round": 1, "summary": "Added /health."}]
    text = task_text({"title": "T", "body": "B"}, PLAN["tasks"][1], PLAN, done)
    assert "The lead's analysis:\nAdd the endpoint, then the column." in text
    assert "   t1 [backend] GET /health" in text and "-> t2 [migration] items.created_at" in text
    assert "- t1 (backend, round 1): Added /health." in text
    assert text.index("Done so far:") < text.index("Your task (t2)")


def test_a_fix_round_sees_its_findings_and_its_earlier_work() -> None:
    fix = {"id": "fix-2", "title": "Fix what QA found", "description": "- tests: 1 failed"}
    done = [{"task_id": "t1", "role": "backend", "round": 1, "summary": "Added /health."}]
    text = task_text({"title": "T", "body": "B"}, fix, PLAN, done)
    assert "Your task (fix-2)" in text and "- tests: 1 failed" in text
    assert "Added /health." in text
    assert not [ln for ln in text.splitlines() if ln.startswith("->")]  # not one of the plan


def test_the_repo_map_comes_last_fenced_and_only_when_there_is_one(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(
        "class Shop:\n    def health(self) -> dict:\n        return {}\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_shop.py").write_text(
        "from shop import Shop\n\ndef test_x(): Shop()\n"
    )
    task = {**PLAN["tasks"][0], "files": ["shop.py"]}
    found = repo_map(tmp_path, focus_files=["shop.py"], terms=["health"], budget_tokens=200)
    text = task_text({"title": "T", "body": "B"}, task, PLAN, [], found)
    assert text.index("Your task (t1)") < text.index("most relevant to your task")
    fenced = text[text.index("most relevant to your task") :]
    assert fenced.count('source="repo_map"') == 1
    assert "shop.py\n  1: class Shop:\n  2:     def health(self) -> dict:" in fenced
    assert "most relevant" not in task_text({"title": "T", "body": "B"}, task, PLAN, [], "")
