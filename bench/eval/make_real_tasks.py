"""Tasks from a real project's own fixing commits, in SWE-bench's format.

    python bench/eval/make_real_tasks.py      # writes bench/eval/real_tasks.jsonl

The repository comes from a git bundle in ``bundles/`` (its history up to the newest fix, so
every commit id is the project's own). For each fixing commit below: ``base_commit`` is its
parent, ``patch`` its change outside the tests, ``test_patch`` its change to the tests, and
FAIL_TO_PASS / PASS_TO_PASS are measured here, as SWE-bench's harness does: the tests of the
touched test files are run at the base with ``test_patch`` applied, then with ``patch`` too;
FAIL_TO_PASS fail before and pass after, PASS_TO_PASS pass both times. The problem statements
are written here from each commit's change, as a user would report the bug.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "real_tasks.jsonl"
WHEELHOUSE = ROOT / ".cache" / "wheelhouse"
TEST_TOOLS = ("pytest==9.2.0", "freezegun", "coverage==7.18.0", "pytest-cov==7.1.0")


@dataclass(frozen=True)
class Fix:
    repo: str  # owner/name; its bundle is bundles/<owner>__<name>.bundle
    commit: str
    problem: str


FIXES = (
    Fix(
        "python-humanize/humanize",
        "11e62eeedb8990298c3612af82376dc2344d24f8",
        "naturalsize shows the raw float for sizes under one kilobyte\n\n"
        "`humanize.naturalsize(1.123456789)` returns `'1.123456789 Bytes'` (and with "
        "`gnu=True`, `'1.123456789B'`). A fractional number of bytes below the base should be "
        "shown as a whole number of bytes, `'1 Bytes'` / `'1B'`, as it was before.",
    ),
    Fix(
        "python-humanize/humanize",
        "a47a89ea9111a5eaba138c391e8a564134a15c60",
        "naturaldate and naturalday ignore the timezone of an aware datetime\n\n"
        "Given a timezone-aware datetime, `naturalday` / `naturaldate` compare its date with "
        "today's date in local time, so near midnight they answer 'today' for tomorrow or "
        "the reverse. For an aware value, 'today' should be today in that value's own "
        "timezone: at 2023-10-15 23:00 UTC, 2023-10-16 06:00 UTC is 'tomorrow', but the same "
        "instant seen in UTC+11 is 'today'.",
    ),
    Fix(
        "python-humanize/humanize",
        "7574e0cc377d80db0d2756fc2c5e0b8799a6f8b4",
        "metric() prints 1000 of a prefix instead of moving to the next one\n\n"
        "`humanize.metric(999.99, 'V')` gives `'1000 V'` and `metric(999_999, 'V')` gives "
        "`'1000 kV'`: when rounding to the requested precision reaches 1000, the value should "
        "be carried to the next SI prefix (`'1.00 kV'`, `'1.00 MV'`); the same for small "
        "values (`metric(0.0009999, 'V')` should be `'1.00 mV'`).",
    ),
    Fix(
        "python-humanize/humanize",
        "823ad6096e1e5ba82ea876ce761fc2efebd76157",
        "naturalsize can print '1000.0 kB' instead of '1.0 MB'\n\n"
        "`humanize.naturalsize(999999)` returns `'1000.0 kB'`: the unit is chosen before the "
        "number is rounded, and rounding 999.999 gives 1000.0. It should read `'1.0 MB'` (and "
        "`'1.0 GB'`, `'1.0 TB'` likewise; with `binary=True`, `1024**2 - 1` should be "
        "`'1.0 MiB'`; with `gnu=True`, `'1.0M'`).",
    ),
)


def git(*args: str, cwd: Path) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def bundle(repo: str) -> Path:
    return HERE / "bundles" / f"{repo.replace('/', '__')}.bundle"


def _venv(where: Path) -> Path:
    """A virtualenv with the test tools, from the wheelhouse `make install` fills."""
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "venv", "-q", str(where)], check=True)
    pip = [uv, "pip", "install", "-q", "--python", str(where / "bin" / "python"), "--offline"]
    subprocess.run([*pip, "--no-index", "--find-links", str(WHEELHOUSE), *TEST_TOOLS], check=True)
    return where / "bin" / "python"


def _outcomes(python: Path, tree: Path, files: list[str]) -> dict[str, bool]:
    """Test id -> passed, for the tests of ``files`` run in ``tree`` (its src on the path)."""
    report = tree / "report.xml"
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    pytest = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "addopts="]
    done = subprocess.run(
        [*pytest, "-o", "junit_family=xunit1", f"--junitxml={report}", *files],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    if not report.exists():
        raise RuntimeError(f"pytest ran nothing: {done.stdout[-1500:]}{done.stderr[-1500:]}")
    found: dict[str, bool] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        file = case.get("file", "")
        module = file.removesuffix(".py").replace("/", ".")
        cls = case.get("classname", "").removeprefix(module).strip(".")
        parts = [file, *(cls.split(".") if cls else []), case.get("name", "")]
        test_id = "::".join(p for p in parts if p)
        found[test_id] = not any(c.tag in ("failure", "error", "skipped") for c in case)
    return found


def make(fix: Fix, python: Path, work: Path) -> dict[str, object]:
    repo = work / fix.repo.replace("/", "__")
    if not repo.exists():
        git("clone", "-q", str(bundle(fix.repo)), str(repo), cwd=work)
    base = git("rev-parse", f"{fix.commit}^", cwd=repo).strip()
    patch = git("diff", base, fix.commit, "--", ".", ":(exclude)tests", cwd=repo)
    test_patch = git("diff", base, fix.commit, "--", "tests", cwd=repo)
    files = sorted(
        f
        for f in git("diff", "--name-only", base, fix.commit, "--", "tests", cwd=repo).split()
        if f.endswith(".py")
    )
    tree = work / "tree"
    results = []
    for with_fix in (False, True):
        git("checkout", "-q", "-f", base, cwd=repo)
        git("clean", "-qfdx", cwd=repo)
        for p in (test_patch, patch) if with_fix else (test_patch,):
            (work / "p.diff").write_text(p)
            git("apply", str(work / "p.diff"), cwd=repo)
        if tree.exists():
            shutil.rmtree(tree)
        shutil.copytree(repo, tree, ignore=shutil.ignore_patterns(".git"))
        version = tree / "src" / "humanize" / "_version.py"  # what the build would write
        version.write_text('__version__ = version = "0.0.0"\n')
        results.append(_outcomes(python, tree, files))
    before, after = results
    fail_to_pass = sorted(t for t, ok in after.items() if ok and not before.get(t, False))
    pass_to_pass = sorted(t for t, ok in after.items() if ok and before.get(t, False))
    if not fail_to_pass:
        raise RuntimeError(f"{fix.commit}: no test fails before the fix")
    date = git("show", "-s", "--format=%cI", fix.commit, cwd=repo).strip()
    name = fix.repo.replace("/", "__")
    return {
        "repo": fix.repo,
        "instance_id": f"{name}-{fix.commit[:7]}",
        "base_commit": base,
        "patch": patch,
        "test_patch": test_patch,
        "problem_statement": fix.problem,
        "hints_text": "",
        "created_at": date,
        "version": "real",
        "FAIL_TO_PASS": json.dumps(fail_to_pass),
        "PASS_TO_PASS": json.dumps(pass_to_pass),
        "environment_setup_commit": base,
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="devforge-real-") as tmp:
        work = Path(tmp)
        python = _venv(work / "venv")
        rows = [make(fix, python, work) for fix in FIXES]
    OUT.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for r in rows:
        f2p = len(json.loads(str(r["FAIL_TO_PASS"])))
        p2p = len(json.loads(str(r["PASS_TO_PASS"])))
        print(f"{r['instance_id']}: {f2p} fail-to-pass, {p2p} pass-to-pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
