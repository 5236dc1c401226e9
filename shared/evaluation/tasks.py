"""SWE-bench-format tasks: what one line of a tasks file must hold, and the ticket made of it.

Pure: no I/O beyond reading the file. The published SWE-bench files carry ``FAIL_TO_PASS`` and
``PASS_TO_PASS`` as JSON-encoded strings; lists are accepted too. Fields DevForge does not use
(``hints_text``, ``created_at``, ``version`` ...) are ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUIRED = (
    "instance_id",
    "repo",
    "base_commit",
    "problem_statement",
    "patch",
    "test_patch",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
)
TITLE_LIMIT = 200  # TicketSubmitted.title
BODY_LIMIT = 20_000  # TicketSubmitted.body
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
# A pytest node id: a path to a .py file, then ``::`` and the test's name (class::method,
# parametrised ids in brackets). Django's "test_x (app.tests.Case)" and bare names are not.
_NODE_ID = re.compile(r"^[^\s:][^:]*\.py::[^\s\[]+(?:\[.*\])?$")


class TaskError(ValueError):
    """A task that cannot run; the message is the reason recorded for it."""


@dataclass(frozen=True)
class Task:
    instance_id: str
    repo: str  # owner/name
    base_commit: str
    problem_statement: str
    patch: str
    test_patch: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]

    @property
    def clone_dir_name(self) -> str:
        """``owner__name``: where ``--repos DIR`` keeps the repository's clone."""
        return self.repo.replace("/", "__")

    @property
    def test_ids(self) -> tuple[str, ...]:
        return (*self.fail_to_pass, *self.pass_to_pass)


def _test_list(raw: Any, field: str) -> tuple[str, ...]:
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            raise TaskError(f"{field} is neither a JSON list nor a JSON-encoded list") from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TaskError(f"{field} must be a list of test ids")
    return tuple(value)


def parse_task(raw: Any) -> Task:
    """One task from one decoded JSON line; ``TaskError`` names what is wrong."""
    if not isinstance(raw, dict):
        raise TaskError("a task must be a JSON object")
    missing = [f for f in REQUIRED if f not in raw]
    if missing:
        raise TaskError(f"missing field(s): {', '.join(missing)}")
    for f in ("instance_id", "repo", "base_commit", "problem_statement", "patch", "test_patch"):
        if not isinstance(raw[f], str):
            raise TaskError(f"{f} must be a string")
    if not raw["instance_id"].strip():
        raise TaskError("instance_id is empty")
    if not _REPO.match(raw["repo"]):
        raise TaskError(f"repo {raw['repo']!r} is not owner/name")
    if not _SHA.match(raw["base_commit"]):
        raise TaskError(f"base_commit {raw['base_commit']!r} is not a commit id")
    if not raw["problem_statement"].strip():
        raise TaskError("problem_statement is empty")
    f2p = _test_list(raw["FAIL_TO_PASS"], "FAIL_TO_PASS")
    p2p = _test_list(raw["PASS_TO_PASS"], "PASS_TO_PASS")
    if not f2p:
        raise TaskError("FAIL_TO_PASS is empty: nothing would show the fix")
    odd = [t for t in (*f2p, *p2p) if not _NODE_ID.match(t)]
    if odd:
        raise TaskError(f"unsupported test runner: {odd[0]!r} is not a pytest node id")
    return Task(
        instance_id=raw["instance_id"].strip(),
        repo=raw["repo"],
        base_commit=raw["base_commit"],
        problem_statement=raw["problem_statement"],
        patch=raw["patch"],
        test_patch=raw["test_patch"],
        fail_to_pass=f2p,
        pass_to_pass=p2p,
    )


@dataclass(frozen=True)
class Loaded:
    """A task file: the tasks that parse, and (line, instance id or None, reason) for the rest."""

    tasks: list[Task]
    errors: list[tuple[int, str | None, str]]


def load(path: Path) -> Loaded:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise TaskError(f"cannot read {path}: {exc.strerror or exc}") from None
    tasks: list[Task] = []
    errors: list[tuple[int, str | None, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            errors.append((number, None, f"line {number} is not JSON ({exc})"))
            continue
        iid = raw.get("instance_id") if isinstance(raw, dict) else None
        name = iid if isinstance(iid, str) and iid.strip() else None
        try:
            task = parse_task(raw)
        except TaskError as exc:
            errors.append((number, name, str(exc)))
            continue
        if task.instance_id in seen:
            errors.append((number, name, f"instance_id {task.instance_id!r} appears twice"))
            continue
        seen.add(task.instance_id)
        tasks.append(task)
    return Loaded(tasks, errors)


def ticket_of(problem_statement: str) -> tuple[str, str]:
    """(title, body) of the ticket made of a problem statement: its first non-empty line, cut
    to the title limit, as the title; the whole text (cut to the body limit) as the body."""
    text = problem_statement.strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "untitled")
    title = first if len(first) <= TITLE_LIMIT else first[: TITLE_LIMIT - 1] + "…"
    body = (
        text if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 40] + "\n[problem statement cut]"
    )
    return title, body
