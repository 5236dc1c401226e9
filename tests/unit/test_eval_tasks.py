"""SWE-bench-format tasks: both encodings of the test lists, the ticket made of a task, and
one readable reason for each bad task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.evaluation.tasks import TITLE_LIMIT, TaskError, load, parse_task, ticket_of

BASE = "0123456789abcdef0123456789abcdef01234567"


def _task(**over: Any) -> dict[str, Any]:
    t: dict[str, Any] = {
        "repo": "acme/calc",
        "instance_id": "acme__calc-1",
        "base_commit": BASE,
        "patch": "diff --git a/calc.py b/calc.py\n",
        "test_patch": "diff --git a/tests/test_calc.py b/tests/test_calc.py\n",
        "problem_statement": "add() subtracts\n\nadd(2, 3) gives -1.",
        "hints_text": "",
        "created_at": "2026-01-01T00:00:00Z",
        "version": "0.1",
        "environment_setup_commit": BASE,
        "FAIL_TO_PASS": json.dumps(["tests/test_calc.py::test_add"]),
        "PASS_TO_PASS": json.dumps(["tests/test_calc.py::TestMul::test_mul[2-3]"]),
    }
    t.update(over)
    return t


def test_published_string_encoded_lists_and_plain_lists_load_alike() -> None:
    encoded = parse_task(_task())
    plain = parse_task(
        _task(
            FAIL_TO_PASS=["tests/test_calc.py::test_add"],
            PASS_TO_PASS=["tests/test_calc.py::TestMul::test_mul[2-3]"],
        )
    )
    assert encoded == plain
    assert encoded.fail_to_pass == ("tests/test_calc.py::test_add",)
    assert encoded.clone_dir_name == "acme__calc"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"patch": None}, "patch must be a string"),
        ({"repo": "calc"}, "is not owner/name"),
        ({"base_commit": "main"}, "is not a commit id"),
        ({"FAIL_TO_PASS": "[not json"}, "FAIL_TO_PASS is neither"),
        ({"FAIL_TO_PASS": "[]"}, "FAIL_TO_PASS is empty"),
        ({"PASS_TO_PASS": '["test_add (calc.tests.AddTests)"]'}, "unsupported test runner"),
        ({"FAIL_TO_PASS": '["test_add"]'}, "unsupported test runner"),
        ({"problem_statement": "  "}, "problem_statement is empty"),
    ],
)
def test_a_bad_task_names_its_problem(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(TaskError, match=reason):
        parse_task(_task(**change))


def test_a_task_file_keeps_good_tasks_and_one_reason_per_bad_line(tmp_path: Path) -> None:
    missing = _task(instance_id="acme__calc-2")
    del missing["test_patch"]
    lines = [
        json.dumps(_task()),
        "{not json",
        json.dumps(missing),
        json.dumps(_task()),  # the same instance again
        "",
        json.dumps(_task(instance_id="acme__calc-3", FAIL_TO_PASS='["t (a.B)"]')),
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    loaded = load(path)
    assert [t.instance_id for t in loaded.tasks] == ["acme__calc-1"]
    assert [(line, iid) for line, iid, _ in loaded.errors] == [
        (2, None),
        (3, "acme__calc-2"),
        (4, "acme__calc-1"),
        (6, "acme__calc-3"),
    ]
    reasons = [r for _, _, r in loaded.errors]
    assert "not JSON" in reasons[0]
    assert reasons[1] == "missing field(s): test_patch"
    assert "appears twice" in reasons[2]
    assert "unsupported test runner" in reasons[3]


def test_the_ticket_is_the_first_line_as_title_and_the_whole_text_as_body() -> None:
    title, body = ticket_of("\n  add() subtracts  \n\nadd(2, 3) gives -1.\n")
    assert (title, body) == ("add() subtracts", "add() subtracts  \n\nadd(2, 3) gives -1.")
    long_title, _ = ticket_of("x" * 500)
    assert len(long_title) == TITLE_LIMIT and long_title.endswith("…")
    _, cut = ticket_of("y" * 30_000)
    assert len(cut) <= 20_000 and cut.endswith("[problem statement cut]")
