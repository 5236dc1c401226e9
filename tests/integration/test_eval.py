"""``devforge eval`` end to end, as a user runs it: a stack of its own, SWE-bench Lite-format
tasks (string-encoded test lists) on a real git repository, the oracle through the engineers'
real tools, PRs judged with the hidden tests in the sandbox. Negative controls (no patch; the
gold patch less one hunk) are unresolved; bad tasks are errors with one reason each and the
run goes on; ``--model live`` takes the same path with a local OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.evaluation.patches import without_hunk

pytestmark = pytest.mark.slow
DEVFORGE = Path(sys.executable).with_name("devforge")

CALC = '''"""A tiny calculator."""


def add(a, b):
    return a - b


def mul(a, b):
    return a * b


def neg(a):
    return -a


def scale(values, factor):
    return [v + factor for v in values]
'''
TESTS = """from calc import mul


def test_mul():
    assert mul(3, 4) == 12
"""


def _git(repo: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-C", str(repo), *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """A repository ``acme/calc`` and its tasks (outside pytest's 0700 tree: the sandbox's user
    must reach the stack's directories)."""
    root = Path(tempfile.mkdtemp(prefix="dft-eval-"))
    repo = root / "repos" / "acme__calc"
    (repo / "tests").mkdir(parents=True)
    (repo / "calc.py").write_text(CALC)
    (repo / "tests" / "test_calc.py").write_text(TESTS)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "calc")
    base = _git(repo, "rev-parse", "HEAD").strip()
    fixed = CALC.replace("return a - b", "return a + b").replace("v + factor", "v * factor")
    (repo / "calc.py").write_text(fixed)
    patch = _git(repo, "diff")
    (repo / "tests" / "test_calc.py").write_text(
        TESTS.replace("from calc import mul", "from calc import add, mul, scale")
        + "\n\ndef test_add():\n    assert add(2, 3) == 5\n"
        + "\n\ndef test_scale():\n    assert scale([1, 2], 3) == [3, 6]\n"
    )
    test_patch = _git(repo, "diff", "--", "tests")
    _git(repo, "checkout", "-q", "--", ".")
    (repo / "later.txt").write_text("a commit after the base: the crew must never see it\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "later")

    def task(iid: str, **over: Any) -> dict[str, Any]:
        t = {
            "repo": "acme/calc",
            "instance_id": iid,
            "base_commit": base,
            "patch": patch,
            "test_patch": test_patch,
            "problem_statement": f"calc is wrong ({iid})\n\nadd(2, 3) gives -1; scale([1, 2], 3) "
            "gives [4, 5] where [3, 6] is meant.",
            "hints_text": "",
            "created_at": "2026-01-01T00:00:00Z",
            "version": "0.1",
            "environment_setup_commit": base,
            "FAIL_TO_PASS": json.dumps(
                ["tests/test_calc.py::test_add", "tests/test_calc.py::test_scale"]
            ),
            "PASS_TO_PASS": json.dumps(["tests/test_calc.py::test_mul"]),
        }
        t.update(over)
        return t

    missing = task("acme__calc-missing")
    del missing["patch"]
    tasks = [
        task("acme__calc-gold"),
        task("acme__calc-nopatch", patch=""),
        task("acme__calc-minus-hunk", patch=without_hunk(patch, 1)),
        missing,
        task("acme__nosuch-1", repo="acme/nosuch"),
        task("acme__calc-badbase", base_commit="f" * 40),
        task("acme__calc-badtests", test_patch=test_patch.replace("mul(3, 4)", "mul(3, 5)")),
    ]
    (root / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _eval(root: Path, home: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    full = {**os.environ, "DEVFORGE_HOME": str(home), **(env or {})}
    full.pop("DEVFORGE_MODEL_BASE_URL", None) if env is None else None
    return subprocess.run(
        [str(DEVFORGE), "eval", str(root / "tasks.jsonl"), "--repos", str(root / "repos"), *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    return {r["instance_id"]: r for r in map(json.loads, path.read_text().splitlines())}


def test_the_oracle_resolves_the_gold_patch_and_nothing_less(workspace: Path) -> None:
    out = workspace / "oracle.jsonl"
    res = _eval(
        workspace,
        workspace / "home",
        "--model",
        "oracle",
        "--out",
        str(out),
        "--concurrency",
        "2",
        "--predictions",
        str(workspace / "preds.jsonl"),
    )
    assert res.returncode == 1, res.stdout + res.stderr  # some tasks are errors
    rows = _rows(out)
    gold = rows["acme__calc-gold"]
    assert gold["resolved"] is True, gold
    assert gold["matches_gold"] is True and gold["cost_usd"] == 0.0
    assert gold["cost_sources"] == ["oracle"]
    # The fix's two hunks and its tests' one, each viewed then replaced in place; never a
    # whole-file write, never a shell.
    assert gold["tool_calls"]["str_replace"] == 3, gold["tool_calls"]
    assert "+++ b/tests/test_calc.py" in gold["model_patch"]
    assert "write_file" not in gold["tool_calls"] and "run_command" not in gold["tool_calls"]
    assert "later.txt" not in gold["model_patch"]
    # Negative controls: no patch, and the gold patch less one hunk, resolve nothing.
    nothing = rows["acme__calc-nopatch"]
    assert nothing["resolved"] is False and not nothing.get("error"), nothing
    # Its tests go in without a fix: they fail, and QA stops the job on them.
    assert "QA still failing" in nothing["failure_reason"], nothing
    assert nothing["failure_class"] == "QA"
    assert "FAILED tests/test_calc.py::test_add - assert -1 == 5" in nothing["failure_reason"]
    partial = rows["acme__calc-minus-hunk"]
    assert partial["resolved"] is False and not partial.get("error"), partial
    # Its tests show the missing hunk: QA names the failing test and the job stops there.
    assert partial["failure_class"] == "QA", partial
    assert "FAILED tests/test_calc.py::test_scale" in partial["failure_reason"], partial
    # Bad input: one readable reason each, and the run went on.
    assert rows["acme__calc-missing"]["error"] == "missing field(s): patch"
    assert "unknown repository acme/nosuch" in rows["acme__nosuch-1"]["error"]
    assert "base commit ffffffff" in rows["acme__calc-badbase"]["error"]
    assert "test_patch does not apply" in rows["acme__calc-badtests"]["error"]
    for iid in ("acme__calc-missing", "acme__nosuch-1", "acme__calc-badbase"):
        assert f"devforge eval: {iid}: " in res.stderr
    report = json.loads((workspace / "oracle.report.json").read_text())
    assert report["resolved_ids"] == ["acme__calc-gold"]
    assert report["error_instances"] == 4 and report["unresolved_instances"] == 2
    preds = [json.loads(line) for line in (workspace / "preds.jsonl").read_text().splitlines()]
    by_id = {p["instance_id"]: p for p in preds}
    assert by_id["acme__calc-gold"]["model_patch"].startswith("diff --git a/calc.py")
    assert by_id["acme__calc-gold"]["model_name_or_path"] == "devforge-oracle"
    # The prediction is a patch SWE-bench's harness can apply at the base commit.
    check = workspace / "check"
    _git(workspace, "clone", "-q", str(workspace / "repos" / "acme__calc"), str(check))
    _git(
        check,
        "checkout",
        "-q",
        json.loads((workspace / "tasks.jsonl").read_text().splitlines()[0])["base_commit"],
    )
    (workspace / "pred.diff").write_text(by_id["acme__calc-gold"]["model_patch"])
    _git(check, "apply", "--check", str(workspace / "pred.diff"))


def test_live_mode_takes_the_providers_path_to_a_local_server(workspace: Path) -> None:
    """A local OpenAI-compatible server (the model server with the oracle loaded from the task
    file) stands in for a hosted provider: the stack's services call it over HTTP."""
    server = subprocess.Popen(
        [
            str(DEVFORGE),
            "model-server",
            str(workspace),
            "--oracle",
            str(workspace / "tasks.jsonl"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        out = workspace / "live.jsonl"
        res = _eval(
            workspace,
            workspace / "home-live",
            "--model",
            "live",
            "--out",
            str(out),
            "--instances",
            "acme__calc-gold",
            env={"DEVFORGE_MODEL_BASE_URL": url},
        )
        assert res.returncode == 0, res.stdout + res.stderr
        row = _rows(out)["acme__calc-gold"]
        assert row["resolved"] is True, row
        assert row["cost_sources"] == ["oracle"]  # answered by the stand-in, priced at $0
    finally:
        server.terminate()
        server.wait(10)
