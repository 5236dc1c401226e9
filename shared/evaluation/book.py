"""The oracle's book of tasks, held by the model server: which task a conversation is about.

A conversation belongs to the task whose ticket it carries (its first user message holds the
ticket's title and body, as the crew's prompts put it). Tasks come from ``devforge eval`` over
HTTP or from a tasks file at the server's start; either way only the ticket and the gold patch
and its test patch are kept (``OracleTask``): which tests must pass never reaches the oracle.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.evaluation import tasks as task_file
from shared.evaluation.oracle import OracleTask


class OracleEntry(BaseModel):
    """The wire shape of one task registered with the oracle (nothing else is accepted)."""

    model_config = ConfigDict(extra="forbid")

    instance_id: str = Field(min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=task_file.TITLE_LIMIT)
    body: str = Field(max_length=task_file.BODY_LIMIT)
    patch: str
    test_patch: str = ""


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: list[OracleEntry] = Field(min_length=1, max_length=10_000)


class AmbiguousTask(ValueError):
    """Two registered tasks carry the same ticket."""


def _first_user_text(messages: list[Any]) -> str:
    for m in messages:
        if isinstance(m, dict) and m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


class OracleBook:
    def __init__(self) -> None:
        self._tasks: dict[str, OracleTask] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tasks)

    def register(self, entries: list[OracleEntry]) -> int:
        with self._lock:
            for e in entries:
                self._tasks[e.instance_id] = OracleTask(
                    e.instance_id, e.title, e.body, e.patch, e.test_patch
                )
        return len(entries)

    def load_file(self, path: Path) -> int:
        """The tasks of a SWE-bench-format file (tickets, gold patches, test patches)."""
        loaded = task_file.load(path)
        entries = []
        for t in loaded.tasks:
            title, body = task_file.ticket_of(t.problem_statement)
            entries.append(
                OracleEntry(
                    instance_id=t.instance_id,
                    title=title,
                    body=body,
                    patch=t.patch,
                    test_patch=t.test_patch,
                )
            )
        return self.register(entries)

    def match(self, messages: list[Any]) -> OracleTask | None:
        """The task whose ticket the conversation carries; None when it carries none."""
        text = _first_user_text(messages)
        if not text:
            return None
        with self._lock:
            found = [t for t in self._tasks.values() if t.title in text and t.body.strip() in text]
        if len(found) > 1:
            ids = ", ".join(sorted(t.instance_id for t in found))
            raise AmbiguousTask(f"the conversation's ticket matches several oracle tasks: {ids}")
        return found[0] if found else None
