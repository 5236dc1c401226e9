"""Git workspaces of jobs: the internal workspace remote and per-job working copies.

Each repository has a bare *workspace remote* under the data directory that every service
instance reaches; job branches (``devforge/<job_id>``) live there, so the branch is the durable
workspace and nothing needs a shared disk. Work in progress never reaches the customer's forge.
Every git call runs with hooks disabled and a fixed identity passed on the command line;
nothing (least of all a credential) is written to ``.git/config``. A forge credential reaches
git only through the environment of the one call that needs it (``env=``, see
``shared.forge.github.gitauth``).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

IDENTITY = ("DevForge", "devforge@localhost")
SAFE = [
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    f"user.name={IDENTITY[0]}",
    "-c",
    f"user.email={IDENTITY[1]}",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "init.defaultBranch=main",
]


class GitError(RuntimeError):
    """A git command that failed (the message carries git's own words; ``stderr`` all of it)."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


def git(
    cwd: Path | None,
    *args: str,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    strip: bool = True,
) -> str:
    """Run git; ``env`` adds variables for this call only (a credential's config, never a file).
    ``strip=False`` keeps the output as git wrote it (a diff's trailing blank context lines)."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LANG": "C.UTF-8",
    }
    cmd = ["git", *SAFE, *(["-C", str(cwd)] if cwd else []), *args]
    res = subprocess.run(
        cmd, capture_output=True, text=True, env={**base, **(env or {})}, timeout=timeout
    )
    if check and res.returncode != 0:
        said = (res.stderr or res.stdout).strip()
        raise GitError(f"git {' '.join(args[:2])}: {said[-400:]}", res.stderr)
    return res.stdout.strip() if strip else res.stdout


def branch_of(job_id: str) -> str:
    return f"devforge/{job_id}"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def workspace_remote(
    home: Path,
    tenant: str,
    repo_id: str,
    source_url: str,
    base: str,
    env: Mapping[str, str] | None = None,
) -> Path:
    """The bare workspace remote of a repository, created from the source on first use and
    refreshed with the source's base branch each time a job starts (``env``: the source's
    credential for this fetch only)."""
    remote = home.resolve() / "workspaces" / tenant / f"{repo_id}.git"
    with _locked(remote):
        if not (remote / "HEAD").exists():
            # init + fetch by URL, not clone: a clone would keep the source URL (and any
            # credential in it) as `remote.origin.url` in the workspace's config.
            git(None, "init", "--bare", "--quiet", str(remote))
            git(remote, "symbolic-ref", "HEAD", f"refs/heads/{base}")
        git(
            remote,
            "fetch",
            "--quiet",
            source_url,
            f"+refs/heads/{base}:refs/heads/{base}",
            env=env,
        )
    return remote


def checkout(
    remote: Path, job_id: str, base: str, workdir: Path, start_from: str | None = None
) -> Path:
    """A working copy of the job branch: the existing branch (a job taken over after a crash)
    or a new one from the base branch, or from ``start_from`` (a follow-up continues the branch
    of the job whose pull request it serves)."""
    if workdir.exists():
        git(workdir, "fetch", "--quiet", "origin")
    else:
        workdir.parent.mkdir(parents=True, exist_ok=True)
        git(None, "clone", "--quiet", "--no-hardlinks", str(remote), str(workdir))
    branch = branch_of(job_id)
    exists = git(workdir, "ls-remote", "--heads", "origin", branch)
    start = f"origin/{branch}" if exists else f"origin/{start_from or base}"
    git(workdir, "checkout", "--quiet", "-B", branch, start)
    git(workdir, "reset", "--quiet", "--hard", start)
    git(workdir, "clean", "-fdq")
    return workdir


def commit_and_push(workdir: Path, job_id: str, message: str) -> str | None:
    """Commit every change and push the job branch; the new commit, or None if nothing changed."""
    git(workdir, "add", "-A")
    if not git(workdir, "status", "--porcelain"):
        return None
    git(workdir, "commit", "--quiet", "--no-verify", "-m", message)
    git(workdir, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch_of(job_id)}")
    return head(workdir)


def head(workdir: Path) -> str:
    return git(workdir, "rev-parse", "HEAD")
