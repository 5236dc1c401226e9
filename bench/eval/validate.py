"""Validate tasks.jsonl the way SWE-bench validates its task instances.

    python bench/eval/validate.py [--tasks FILE] [--only INSTANCE_ID ...]

For every task: build the repository (build_repos), check out a worktree at
``base_commit``, apply ``test_patch`` and run the FAIL_TO_PASS and
PASS_TO_PASS tests: every FAIL_TO_PASS test must fail (or error) and every
PASS_TO_PASS test must pass.  Then apply ``patch`` and run them again: every
listed test must pass.  Per-test outcomes come from pytest's JUnit XML
report; a test missing from the report counts as failed.  Exits non-zero on
any violation.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_repos

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]


def node_ids_from_junit(path: Path) -> dict[str, str]:
    """Map pytest node ids to ``passed``/``failed``/``skipped`` from a JUnit XML file."""
    outcomes: dict[str, str] = {}
    if not path.exists():
        return outcomes
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        file = case.get("file")
        classname = case.get("classname", "")
        name = case.get("name", "")
        if not file:
            continue
        module = file[:-3].replace("/", ".") if file.endswith(".py") else file
        rest = classname[len(module) :].lstrip(".") if classname.startswith(module) else ""
        node = "::".join([file, *([*rest.split(".")] if rest else []), name])
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        # A test can appear more than once (e.g. an error in teardown): failures win.
        if outcomes.get(node) != "failed":
            outcomes[node] = outcome
    return outcomes


def run_tests(worktree: Path, tests: list[str], report: Path) -> dict[str, str]:
    """Run ``tests`` in ``worktree`` and return the outcome of each of them."""
    report.unlink(missing_ok=True)
    subprocess.run(
        [*PYTEST, "-o", "junit_family=xunit1", f"--junitxml={report}", *tests],
        cwd=worktree,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    found = node_ids_from_junit(report)
    return {test: found.get(test, "missing") for test in tests}


def git_apply(worktree: Path, patch: str, what: str) -> None:
    result = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"],
        cwd=worktree,
        input=patch,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} does not apply: {result.stderr.strip()}")


def validate_task(
    task: dict[str, str], repos: Path, scratch: Path
) -> tuple[list[str], dict[str, int]]:
    """Return the list of violations for one task and a few counts for the table."""
    problems: list[str] = []
    iid = task["instance_id"]
    f2p: list[str] = json.loads(task["FAIL_TO_PASS"])
    p2p: list[str] = json.loads(task["PASS_TO_PASS"])
    repo = repos / task["repo"].replace("/", "__")
    worktree = scratch / iid
    build_repos.git(
        "worktree", "add", "-q", "--detach", str(worktree), task["base_commit"], cwd=repo
    )
    try:
        git_apply(worktree, task["test_patch"], "test_patch")
        before = run_tests(worktree, f2p + p2p, scratch / f"{iid}-before.xml")
        for test in f2p:
            if before[test] == "passed":
                problems.append(f"{iid}: FAIL_TO_PASS {test} passes before the fix")
            elif before[test] == "skipped":
                problems.append(f"{iid}: FAIL_TO_PASS {test} is skipped before the fix")
        for test in p2p:
            if before[test] != "passed":
                problems.append(f"{iid}: PASS_TO_PASS {test} is {before[test]} before the fix")
        git_apply(worktree, task["patch"], "patch")
        after = run_tests(worktree, f2p + p2p, scratch / f"{iid}-after.xml")
        for test in f2p + p2p:
            if after[test] != "passed":
                kind = "FAIL_TO_PASS" if test in f2p else "PASS_TO_PASS"
                problems.append(f"{iid}: {kind} {test} is {after[test]} after the fix")
    except RuntimeError as exc:
        problems.append(f"{iid}: {exc}")
        before, after = {}, {}
    finally:
        build_repos.git("worktree", "remove", "--force", str(worktree), cwd=repo)
    counts = {
        "f2p": len(f2p),
        "p2p": len(p2p),
        "f2p_failed_before": sum(1 for t in f2p if before.get(t) in ("failed", "missing")),
        "passed_after": sum(1 for t in f2p + p2p if after.get(t) == "passed"),
    }
    return problems, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, default=build_repos.TASKS_FILE)
    parser.add_argument("--only", nargs="*", default=None, help="instance ids to validate")
    args = parser.parse_args(argv)
    tasks = [json.loads(line) for line in args.tasks.read_text().splitlines() if line.strip()]
    if args.only:
        tasks = [t for t in tasks if t["instance_id"] in args.only]
    started = time.monotonic()
    all_problems: list[str] = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="devforge-eval-validate-") as tmp:
        repos = Path(tmp) / "repos"
        commits = build_repos.build_all(repos)
        scratch = Path(tmp) / "work"
        scratch.mkdir()
        for task in tasks:
            if commits.get(task["repo"]) != task["base_commit"]:
                all_problems.append(f"{task['instance_id']}: base_commit does not match the build")
                rows.append((task["instance_id"], None, "FAIL"))
                continue
            problems, counts = validate_task(task, repos, scratch)
            all_problems.extend(problems)
            rows.append((task["instance_id"], counts, "ok" if not problems else "FAIL"))
    print(
        f"{'instance_id':<28} {'F2P':>4} {'fail before':>11} {'P2P':>4} {'pass after':>10}  status"
    )
    for iid, counts, status in rows:
        if counts is None:
            print(f"{iid:<28} {'-':>4} {'-':>11} {'-':>4} {'-':>10}  {status}")
            continue
        total = counts["f2p"] + counts["p2p"]
        print(
            f"{iid:<28} {counts['f2p']:>4} {counts['f2p_failed_before']:>5}/{counts['f2p']:<5} "
            f"{counts['p2p']:>4} {counts['passed_after']:>5}/{total:<4}  {status}"
        )
    for problem in all_problems:
        print(f"VIOLATION {problem}")
    elapsed = time.monotonic() - started
    ok = sum(1 for _, _, status in rows if status == "ok")
    print(f"{ok}/{len(rows)} tasks valid in {elapsed:.1f}s")
    return 1 if all_problems or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
