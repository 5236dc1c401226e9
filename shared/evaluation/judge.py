"""Judging a pull request with a task's hidden tests, outside the crew's sight.

On the PR's head, in a directory of the harness's own: the files ``test_patch`` touches are put
back as they were at ``base_commit``, ``test_patch`` is applied (a conflict: unresolved, with the
reason), and ``FAIL_TO_PASS`` and ``PASS_TO_PASS`` run in the sandbox with the job's own
environment. Resolved only when every listed id is reported passed: an id missing from the
report or deselected counts as failed, and a test fails when any of its subtests fails.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shared.evaluation import patches
from shared.evaluation.tasks import Task
from shared.prepare import Mounted
from shared.sandbox import Result, run_sandboxed
from shared.workspace import GitError, git

PLUGIN = Path(__file__).with_name("judge_plugin.py")
PLUGIN_MODULE = "devforge_judge_report"
REPORT = ".devforge-judge.json"
_NOT_FOUND = re.compile(r"^ERROR: (?:not found|file or directory not found): (\S.*?)\s*$", re.M)
_ENV_SIGNS = (
    "ModuleNotFoundError",
    "ImportError while importing",
    "No module named",
    "error: unrecognized arguments",
    "PluginValidationError",
)


@dataclass
class Verdict:
    resolved: bool
    reason: str | None = None  # why not resolved, in a line
    failure_class: str | None = None  # environment, judging ... (shared.evaluation.oracle)
    statuses: dict[str, str] = field(default_factory=dict)  # test id -> passed / failed / ...
    failed: list[str] = field(default_factory=list)  # the hidden tests that did not pass
    output_tail: str = ""


def _status(entry: dict[str, object] | None) -> str:
    if entry is None:
        return "missing"
    phases = [entry.get(p) for p in ("setup", "call", "teardown")]
    if "failed" in phases:
        return "error" if entry.get("call") != "failed" else "failed"
    if entry.get("subtests_failed"):
        return "failed (subtests)"
    if entry.get("call") == "passed":
        return "passed"
    if entry.get("call") == "skipped" and entry.get("xfail"):
        return "xfailed"
    return str(entry.get("call") or entry.get("setup") or "missing")


def statuses(report: dict[str, dict[str, object]], ids: Sequence[str]) -> dict[str, str]:
    """Pure: each listed id's status from the plugin's report."""
    return {i: _status(report.get(i)) for i in ids}


def _restore_tests(wt: Path, base: str, test_patch: str) -> None:
    for path in patches.paths(test_patch):
        if _exists_at(wt, base, path):
            git(wt, "checkout", "--quiet", base, "--", path)
        else:
            (wt / path).unlink(missing_ok=True)


def _exists_at(wt: Path, base: str, path: str) -> bool:
    return bool(git(wt, "ls-tree", "--name-only", base, "--", path, check=False))


def _prepare_tree(wt: Path, forge_repo: Path, head: str, task: Task, patch_file: Path) -> None:
    git(None, "clone", "--quiet", "--no-checkout", str(forge_repo), str(wt))
    git(wt, "checkout", "--quiet", "--detach", head)
    _restore_tests(wt, task.base_commit, task.test_patch)
    patch_file.write_text(task.test_patch)
    git(wt, "apply", "--whitespace=nowarn", str(patch_file))


async def _pytest(wt: Path, ids: Sequence[str], mounted: Mounted, timeout: float) -> Result:
    plugin_dir = wt.parent / "plugin"
    plugin_dir.mkdir(exist_ok=True)
    shutil.copy(PLUGIN, plugin_dir / f"{PLUGIN_MODULE}.py")
    env = mounted.env
    path = ":".join(p for p in (str(plugin_dir), env.get("PYTHONPATH", "")) if p)
    argv = ["python", "-m", "pytest", "-p", "no:cacheprovider", "-p", PLUGIN_MODULE, "-rA", *ids]
    return await run_sandboxed(
        argv,
        wt,
        timeout_s=timeout,
        ro_binds=[*mounted.binds, plugin_dir],
        env_extra={**env, "PYTHONPATH": path, "DEVFORGE_JUDGE_REPORT": str(wt / REPORT)},
        ro_mounts=mounted.mounts,
    )


async def judge(
    task: Task,
    forge_repo: Path,
    head: str,
    workdir: Path,
    *,
    environment: Callable[[Path], Mounted],
    timeout: float = 900.0,
) -> Verdict:
    """Run the task's hidden tests on ``head`` of ``forge_repo``; ``environment`` gives the
    sandbox mounts and variables of the job's environment for a tree."""
    wt = workdir / "tree"
    try:
        await asyncio.to_thread(_prepare_tree, wt, forge_repo, head, task, workdir / "test.patch")
    except (GitError, patches.PatchError) as exc:
        return Verdict(False, f"test_patch does not apply to the PR: {exc}", "judging")
    mounted = environment(wt)
    ids = list(dict.fromkeys(task.test_ids))
    missing: list[str] = []
    result = await _pytest(wt, ids, mounted, timeout)
    gone = set(_NOT_FOUND.findall(result.output)) & set(ids)
    if gone and len(gone) < len(ids):  # pytest runs nothing when one id is unknown: drop those
        missing = [i for i in ids if i in gone]
        result = await _pytest(wt, [i for i in ids if i not in gone], mounted, timeout)
    try:
        report = json.loads((wt / REPORT).read_text())
    except (OSError, ValueError):
        report = {}
    found = statuses(report, ids)
    for i in missing:
        found[i] = "not found"
    failed = [i for i in ids if found[i] not in ("passed", "xfailed")]
    tail = result.output[-3000:]
    if result.timed_out:
        return Verdict(False, "the hidden tests timed out", "judging", found, failed, tail)
    if not failed:
        return Verdict(True, None, None, found, [], tail)
    env_trouble = any(sign in result.output for sign in _ENV_SIGNS)
    cls = "environment" if env_trouble else None
    shown = ", ".join(f"{i} ({found[i]})" for i in failed[:5])
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    return Verdict(False, f"hidden tests failed: {shown}{more}", cls, found, failed, tail)
