"""What an evaluation run reports: one row per task, the failure class of an unresolved task,
and a summary shaped like SWE-bench's report. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.evaluation import patches

ENV_SIGNS = ("ModuleNotFoundError", "No module named", "ImportError", "errors during collection")


def same_change(pr_diff: str, gold: str, test_patch: str = "") -> bool | None:
    """Whether the PR changes exactly the gold patch's lines, leaving aside the test files of
    the task's test patch (the tests a change comes with; the judge resets them). None when a
    patch is unreadable."""
    try:
        tests = set(patches.paths(test_patch)) - set(patches.paths(gold))
        made = {c for c in patches.changed_lines(pr_diff) if c[0] not in tests}
        return made == patches.changed_lines(gold)
    except patches.PatchError:
        return None


def classify(
    *,
    end_event: str,
    reason: str,
    service: str | None,
    oracle_notes: Iterable[tuple[str, str]],
    qa_findings: Iterable[str],
    judged_class: str | None,
    gold_match: bool | None,
) -> str:
    """The class of an unresolved task: environment, tool limits, output limits, QA,
    publishing, judging, or ``other``."""
    notes = list(oracle_notes)
    if notes:
        return notes[0][0]
    if end_event == "pr.opened":
        if judged_class:
            return judged_class
        return "environment" if gold_match else "tool limits"
    findings = " ".join(qa_findings)
    if service == "publisher":
        return "publishing"
    if reason.startswith("QA still failing") or service == "qa":
        tests_env = "tests:" in findings and any(s in findings for s in ENV_SIGNS)
        return "environment" if tests_env else "QA"
    if end_event == "timeout":
        return "other"
    return "tool limits" if service and service.startswith("engineer") else "other"


def summary(rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """A report like SWE-bench's harness writes: ids by outcome and their counts."""
    resolved = sorted(r["instance_id"] for r in rows if r.get("resolved") is True)
    errors = sorted(r["instance_id"] for r in rows if r.get("error"))
    unresolved = sorted(
        r["instance_id"] for r in rows if r.get("resolved") is not True and not r.get("error")
    )
    empty = sorted(r["instance_id"] for r in rows if r.get("empty_patch"))
    classes: dict[str, int] = {}
    for r in rows:
        if r.get("failure_class"):
            classes[r["failure_class"]] = classes.get(r["failure_class"], 0) + 1
    return {
        "total_instances": total,
        "submitted_instances": len(rows),
        "completed_instances": len(resolved) + len(unresolved),
        "resolved_instances": len(resolved),
        "unresolved_instances": len(unresolved),
        "error_instances": len(errors),
        "empty_patch_instances": len(empty),
        "resolved_ids": resolved,
        "unresolved_ids": unresolved,
        "error_ids": errors,
        "empty_patch_ids": empty,
        "failure_classes": classes,
        "schema_version": 2,
    }
