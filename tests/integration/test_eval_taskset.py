"""The project's evaluation set (``bench/eval``): its repositories build to the commit ids the
tasks name, it has the composition it claims, and every task is valid in SWE-bench's sense
(the hidden tests fail before the fix and pass after it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.evaluation import patches
from shared.evaluation.tasks import load

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "bench" / "eval"
LIMIT = 16_000  # today's cut of a tool's output


def _run(*args: str) -> str:
    res = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return res.stdout


def test_the_repositories_build_to_the_commits_the_tasks_name() -> None:
    assert "ok: 13 tasks match the built commits" in _run(str(EVAL / "build_repos.py"), "--check")


def test_every_task_fails_before_its_fix_and_passes_after_it() -> None:
    assert "13/13 tasks valid" in _run(str(EVAL / "validate.py"))


def test_the_composition_the_issue_asks_for(tmp_path: Path) -> None:
    _run(str(EVAL / "build_repos.py"), str(tmp_path))
    loaded = load(EVAL / "tasks.jsonl")
    assert loaded.errors == [] and len(loaded.tasks) >= 12
    assert len({t.repo for t in loaded.tasks}) >= 3
    beyond, appends, several, subtests = 0, 0, 0, 0
    for t in loaded.tasks:
        repo = tmp_path / t.clone_dir_name
        changes = patches.parse(t.patch)
        several += sum(len(c.hunks) for c in changes) >= 2
        far = at_end = False
        for c in changes:
            text = (repo / c.path).read_text()
            offset = len("".join(text.splitlines(keepends=True)[: c.hunks[0].old_start - 1]))
            far = far or (len(text) > LIMIT and offset > LIMIT)
            last = c.hunks[-1]
            ends = last.old_start - 1 + len(last.old) >= len(text.splitlines())
            at_end = at_end or (len(text) > 100_000 and ends)
        beyond += far
        appends += at_end
        subtests += "subTest(" in t.test_patch
    assert beyond / len(loaded.tasks) >= 0.6
    assert appends >= 1 and several >= 4 and subtests >= 1
