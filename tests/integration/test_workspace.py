"""Job workspaces on real git: the repository's own default branch is the base, concurrent jobs
on one repository never collide, and no credential from the source URL is written anywhere."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shared.workspace import branch_of, checkout, commit_and_push, git, workspace_remote
from tests.support.registry import serve_dir


def _source(where: Path, branch: str) -> Path:
    where.mkdir(parents=True)
    (where / "app.py").write_text("VERSION = 1\n")
    for args in (["init", "-q", "-b", branch], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-C", str(where), *args],
            check=True,
        )
    return where


def test_the_repositorys_default_branch_is_the_base(tmp_path: Path) -> None:
    src = _source(tmp_path / "src", "trunk")
    remote = workspace_remote(tmp_path / "home", "acme", "app", f"file://{src}", "trunk")
    wd = checkout(remote, "job1", "trunk", tmp_path / "work" / "job1")
    assert git(wd, "rev-parse", "--abbrev-ref", "HEAD") == branch_of("job1")
    assert git(wd, "rev-parse", "HEAD") == git(src, "rev-parse", "trunk")


def test_concurrent_jobs_on_one_repository_never_collide(tmp_path: Path) -> None:
    src = _source(tmp_path / "src", "main")
    home = tmp_path / "home"
    jobs = [f"job{i}" for i in range(6)]

    def one(job: str) -> str | None:
        remote = workspace_remote(home, "acme", "app", f"file://{src}", "main")
        wd = checkout(remote, job, "main", tmp_path / "work" / job)
        (wd / f"{job}.txt").write_text(job)
        return commit_and_push(wd, job, f"{job}: its file")

    with ThreadPoolExecutor(len(jobs)) as pool:
        commits = list(pool.map(one, jobs))
    assert all(commits) and len(set(commits)) == len(jobs)
    remote = home.resolve() / "workspaces" / "acme" / "app.git"
    for job in jobs:
        files = git(remote, "ls-tree", "--name-only", f"refs/heads/{branch_of(job)}").split()
        assert sorted(files) == ["app.py", f"{job}.txt"]  # its own change, nobody else's


def test_no_credential_from_the_source_url_is_written(tmp_path: Path) -> None:
    src = _source(tmp_path / "src", "main")
    bare = tmp_path / "served" / "app.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "update-server-info"], check=True)  # dumb HTTP
    secret = "ghs_" + "q7Rk2Lm9Xv4Tn8Wc1Hb6Jd3Kf5Gs0Pa2Yz"
    with serve_dir(tmp_path / "served", "127.0.0.1") as port:
        url = f"http://x-access-token:{secret}@127.0.0.1:{port}/app.git"
        home = tmp_path / "home"
        remote = workspace_remote(home, "acme", "app", url, "main")
        wd = checkout(remote, "job1", "main", tmp_path / "work" / "job1")
        workspace_remote(home, "acme", "app", url, "main")  # the refresh path as well
    assert (wd / "app.py").read_text() == "VERSION = 1\n"
    written = [p for root in (home, tmp_path / "work") for p in root.rglob("*") if p.is_file()]
    leaks = [p for p in written if secret.encode() in p.read_bytes()]
    assert leaks == []
    assert secret not in git(remote, "config", "--list") + git(wd, "config", "--list")
