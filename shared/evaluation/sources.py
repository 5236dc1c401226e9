"""A task's repository as the crew gets it: nothing newer than ``base_commit``.

From a local clone (``--repos DIR``, at ``DIR/<owner>__<name>``) or its public clone URL, a bare
*snapshot* is made per task whose only branch, ``main``, is ``base_commit``, with the tags that
point at its ancestors (a version taken from git tags still works) and nothing else: no later
commit, tag or branch reaches the crew's worktree.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from shared.evaluation.tasks import Task, TaskError
from shared.workspace import GitError, git

BRANCH = "main"
CLONE_TIMEOUT_S = 600
# fetch by commit id from a local clone, whatever its upload-pack settings
_UPLOAD_PACK = "git -c uploadpack.allowAnySHA1InWant=true upload-pack"


def clone_url(repo: str) -> str:
    return f"https://github.com/{repo}.git"


def locate(task: Task, repos_dir: Path | None, cache: Path) -> Path:
    """The local git repository of the task's project; ``TaskError`` when there is none."""
    if repos_dir is not None:
        clone = repos_dir / task.clone_dir_name
        if not clone.exists():
            raise TaskError(f"unknown repository {task.repo}: no clone at {clone}")
        if git(clone, "rev-parse", "--git-dir", check=False) == "":
            raise TaskError(f"{clone} is not a git repository")
        return clone
    clone = cache / f"{task.clone_dir_name}.git"
    if not (clone / "HEAD").exists():
        clone.parent.mkdir(parents=True, exist_ok=True)
        try:
            git(
                None,
                "clone",
                "--bare",
                "--quiet",
                clone_url(task.repo),
                str(clone),
                timeout=CLONE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise TaskError(f"cloning {task.repo} took over {CLONE_TIMEOUT_S} s") from None
        except GitError as exc:
            raise TaskError(f"unknown repository {task.repo}: {exc}") from None
    return clone


def snapshot(clone: Path, base: str, dest: Path) -> Path:
    """A bare repository at ``dest`` holding ``base`` as ``main`` and the tags before it."""
    if not _has(clone, base):
        raise TaskError(f"base commit {base} is not in the repository at {clone}")
    full = git(clone, "rev-parse", f"{base}^{{commit}}")
    git(None, "init", "--bare", "--quiet", str(dest))
    tags = [t for t in git(clone, "tag", "--merged", full).splitlines() if t.strip()]
    refs = [f"{full}:refs/heads/{BRANCH}", *(f"refs/tags/{t}:refs/tags/{t}" for t in tags)]
    git(dest, "fetch", "--quiet", "--no-tags", f"--upload-pack={_UPLOAD_PACK}", str(clone), *refs)
    git(dest, "symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
    return dest


def _has(clone: Path, rev: str) -> bool:
    try:
        git(clone, "cat-file", "-e", f"{rev}^{{commit}}")
    except GitError:
        return False
    return True


def check_applies(repo: Path, base: str, patch: str, what: str) -> None:
    """``TaskError`` when ``patch`` does not apply to ``base`` (checked in a scratch index)."""
    if not patch.strip():
        return
    with tempfile.TemporaryDirectory(prefix="df-eval-apply-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        (Path(tmp) / "p.diff").write_text(patch)
        git(repo, "read-tree", base, env=env)
        try:
            git(repo, "apply", "--cached", "--check", str(Path(tmp) / "p.diff"), env=env)
        except GitError as exc:
            said = str(exc).split(": ", 1)[-1].strip().splitlines()
            raise TaskError(
                f"{what} does not apply at {base[:12]}: {said[0] if said else exc}"
            ) from None
