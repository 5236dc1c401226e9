"""Build the evaluation repositories as real git repositories with fixed commit ids.

    python bench/eval/build_repos.py OUTDIR     # creates OUTDIR/devforge-eval__<name>
    python bench/eval/build_repos.py --check    # verifies the ids recorded in tasks.jsonl

Each repository is a single commit on ``main`` holding ``repos/<name>/base``
exactly.  Author, committer, dates and message are fixed and the user's git
configuration is ignored, so the commit ids are the same on every machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOS_DIR = HERE / "repos"
BUNDLES_DIR = HERE / "bundles"
TASKS_FILE = HERE / "tasks.jsonl"
OWNER = "devforge-eval"
NAMES = ("ledger", "textkit", "units")

DATE = "2024-01-15T12:00:00+00:00"
IDENTITY = {
    "GIT_AUTHOR_NAME": "DevForge Eval",
    "GIT_AUTHOR_EMAIL": "eval@devforge.invalid",
    "GIT_AUTHOR_DATE": DATE,
    "GIT_COMMITTER_NAME": "DevForge Eval",
    "GIT_COMMITTER_EMAIL": "eval@devforge.invalid",
    "GIT_COMMITTER_DATE": DATE,
}
SKIP_NAMES = {"__pycache__", ".pytest_cache", ".git"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def git_env() -> dict[str, str]:
    """Environment isolating git from the user's and the system's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(IDENTITY)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["TZ"] = "UTC"
    return env


GIT_OPTS = [
    "-c",
    "init.defaultBranch=main",
    "-c",
    "core.autocrlf=false",
    "-c",
    "core.fileMode=true",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "core.hooksPath=" + os.devnull,
]


def git(*args: str, cwd: Path) -> str:
    """Run git with the fixed options and return its stdout."""
    result = subprocess.run(
        ["git", *GIT_OPTS, *args],
        cwd=cwd,
        env=git_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def source_files(name: str) -> list[Path]:
    """Files of ``repos/<name>/base``, relative to it, without caches."""
    base = REPOS_DIR / name / "base"
    files = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if any(part in SKIP_NAMES for part in rel.parts) or path.suffix in SKIP_SUFFIXES:
            continue
        if path.is_file():
            files.append(rel)
    return files


def repo_dirname(name: str) -> str:
    """Directory name of a built repository: ``devforge-eval__<name>``."""
    return f"{OWNER}__{name}"


def build_repo(name: str, outdir: Path) -> str:
    """Create ``outdir/devforge-eval__<name>`` and return its commit id."""
    target = outdir / repo_dirname(name)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    base = REPOS_DIR / name / "base"
    for rel in source_files(name):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((base / rel).read_bytes())
        dest.chmod(0o644)
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-q", "--no-verify", "-m", f"{name}: initial import", cwd=target)
    return git("rev-parse", "HEAD", cwd=target).strip()


def clone_bundles(outdir: Path) -> dict[str, str]:
    """Clone each real project's bundle (``bundles/<owner>__<name>.bundle``: its own history,
    commit ids and all) into ``outdir``; returns ``{repo: tip}``."""
    found = {}
    for path in sorted(BUNDLES_DIR.glob("*.bundle")):
        target = outdir / path.stem
        if target.exists():
            shutil.rmtree(target)
        git("clone", "-q", str(path), str(target), cwd=outdir)
        found[path.stem.replace("__", "/", 1)] = git("rev-parse", "HEAD", cwd=target).strip()
    return found


def build_all(outdir: Path) -> dict[str, str]:
    """Build every repository into ``outdir`` (and clone the real projects' bundles there);
    returns ``{repo: commit}`` of the built ones."""
    outdir.mkdir(parents=True, exist_ok=True)
    built = {f"{OWNER}/{name}": build_repo(name, outdir) for name in NAMES}
    clone_bundles(outdir)
    return built


def check() -> int:
    """Build into a temporary directory and compare with tasks.jsonl."""
    with tempfile.TemporaryDirectory(prefix="devforge-eval-") as tmp:
        ids = build_all(Path(tmp))
    problems = 0
    tasks = [json.loads(line) for line in TASKS_FILE.read_text().splitlines() if line.strip()]
    for task in tasks:
        expected = ids.get(task["repo"])
        for key in ("base_commit", "environment_setup_commit"):
            if task[key] != expected:
                problems += 1
                print(f"MISMATCH {task['instance_id']}: {key} {task[key]} != built {expected}")
    for repo, commit in ids.items():
        print(f"{repo} {commit}")
    if problems:
        print(f"{problems} mismatch(es)")
        return 1
    print(f"ok: {len(tasks)} tasks match the built commits")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", type=Path, help="where to create the repositories")
    parser.add_argument("--check", action="store_true", help="verify the ids in tasks.jsonl")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    if args.outdir is None:
        parser.error("OUTDIR is required unless --check is given")
    for repo, commit in build_all(args.outdir).items():
        print(f"{repo} {commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
