"""What an engineer is told first: the ticket, the lead's analysis, the plan with its own task
marked, and what was done before it (a fix round: its own earlier summary too)."""

from __future__ import annotations

from shared.crew.prompts import task_text

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
