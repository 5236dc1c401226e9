"""What a dead letter says about an error: the error itself, not the task group around it."""

from __future__ import annotations

from shared.service import describe


def test_a_task_groups_wrapping_is_looked_through() -> None:
    inner = ValueError("the plan has no tasks")
    wrapped = BaseExceptionGroup("unhandled errors in a TaskGroup", [ExceptionGroup("x", [inner])])
    assert describe(wrapped) == "ValueError: the plan has no tasks"
    assert describe(KeyError("k")) == "KeyError: 'k'"
