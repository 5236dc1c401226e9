"""The GitHub forge: push the squashed job branch with a fresh installation token and open the
pull request against the default branch, or find the one an earlier delivery opened.

The pull request's branch is ``devforge/<job>`` of the job that opened it; a follow-up job
(a review comment) lands its work as a new commit on that same branch, so the same pull
request shows it. A push the forge refuses (push protection, GH013) is ``PushRejected``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
from github import GithubException
from github.PullRequest import PullRequest as GhPull

from shared import workspace
from shared.forge.base import PrRequest, PullRequest, PushRejected
from shared.forge.github import gitauth
from shared.forge.github.app import PUBLISH, GitHubApp
from shared.forge.github.links import RepoLink
from shared.policy.secrets import redact
from shared.workspace import GitError, git


def rejection(stderr: str) -> str | None:
    """The forge's reason when a push was refused by a rule (GitHub's GH013 push protection,
    a pre-receive hook); None when the push failed for another reason. Pure."""
    said = [ln.removeprefix("remote:").strip() for ln in stderr.splitlines()]
    said = [ln for ln in said if ln]
    text = "\n".join(said)
    if (
        "GH013" not in text
        and "pre-receive hook declined" not in text
        and "push declined" not in text
    ):
        return None
    first = next((ln for ln in said if "GH013" in ln), None) or next(
        (ln for ln in said if "declined" in ln), said[0]
    )
    details = [ln for ln in said if ln.startswith(("—", "-", "*", "error:")) and ln != first]
    return redact("; ".join([first, *details[:5]]))[:1000]


class GitHubForge:
    def __init__(self, app: GitHubApp, pool: asyncpg.Pool[Any], link: RepoLink) -> None:
        self.app = app
        self.pool = pool
        self.link = link

    def _push(self, req: PrRequest, head_branch: str, token: str) -> str:
        url = self.link.clone_url
        env = gitauth.env_for(url, token)
        with tempfile.TemporaryDirectory(prefix="df-gh-") as tmp:
            wc = Path(tmp) / "wc"
            git(None, "clone", "--quiet", str(req.workspace), str(wc))
            git(
                wc,
                "fetch",
                "--quiet",
                url,
                f"+refs/heads/{req.base}:refs/remotes/forge/base",
                env=env,
            )
            start = "refs/remotes/forge/base"
            if git(wc, "ls-remote", "--heads", url, head_branch, env=env):
                git(
                    wc,
                    "fetch",
                    "--quiet",
                    url,
                    f"+refs/heads/{head_branch}:refs/remotes/forge/pr",
                    env=env,
                )
                start = "refs/remotes/forge/pr"
            git(wc, "checkout", "--quiet", "-B", "pr", start)
            git(wc, "merge", "--squash", "--quiet", f"origin/{req.branch}")
            if not git(wc, "status", "--porcelain"):
                return workspace.head(wc)  # already there: an earlier delivery pushed it
            git(
                wc,
                "commit",
                "--quiet",
                "--no-verify",
                "-m",
                req.title,
                "-m",
                f"DevForge job {req.job_id}",
            )
            try:
                git(wc, "push", "--quiet", url, f"HEAD:refs/heads/{head_branch}", env=env)
            except GitError as exc:
                reason = rejection(exc.stderr)
                if reason is not None:
                    raise PushRejected(reason) from None
                raise
            return workspace.head(wc)

    def _find_or_open(self, req: PrRequest, head_branch: str, token: str) -> tuple[GhPull, bool]:
        repo = self.app.client(token).get_repo(self.link.full_name)
        owner = self.link.full_name.split("/", 1)[0]

        def existing() -> GhPull | None:
            found = repo.get_pulls(state="all", head=f"{owner}:{head_branch}", base=req.base)
            return next(iter(found), None)

        pr = existing()
        if pr is not None:
            return pr, False
        try:
            return repo.create_pull(
                base=req.base, head=head_branch, title=req.title, body=req.body
            ), True
        except GithubException as exc:
            again = existing() if exc.status == 422 else None  # a concurrent delivery won
            if again is None:
                raise
            return again, False

    async def open_pr(self, req: PrRequest) -> PullRequest:
        head_branch = req.pr_branch or req.branch
        token = await asyncio.to_thread(self.app.token, self.link.installation_id, PUBLISH)
        head = await asyncio.to_thread(self._push, req, head_branch, token)
        pr, created = await asyncio.to_thread(self._find_or_open, req, head_branch, token)
        await self.pool.execute(
            "INSERT INTO pull_requests (tenant_id, job_id, repo_id, number, url, branch, base, "
            "title, body, head) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            "ON CONFLICT DO NOTHING",
            req.tenant,
            req.job_id,
            req.repo_id,
            pr.number,
            pr.html_url,
            head_branch,
            req.base,
            req.title,
            req.body,
            head,
        )
        return PullRequest(pr.number, pr.html_url, head_branch, req.base, head, created)
