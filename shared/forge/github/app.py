"""The GitHub App's side of the API (PyGithub): the App's JWT mints an installation token for
each use. Tokens live in memory for the call that needs them and are never stored, logged or
put in a URL. Synchronous (PyGithub is): callers run these in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import Auth, Github, GithubIntegration

from shared.settings import Settings

# What the forge needs of an installation: read and push code, open pull requests.
PUBLISH = {"contents": "write", "pull_requests": "write", "metadata": "read"}
READ = {"contents": "read", "metadata": "read"}


class NotConfigured(RuntimeError):
    """The GitHub App's id or private key is not set."""


@dataclass(frozen=True)
class Installation:
    id: int
    account: str


@dataclass(frozen=True)
class RemoteRepo:
    github_id: int
    full_name: str
    name: str
    clone_url: str
    default_branch: str


class GitHubApp:
    def __init__(self, app_id: str, private_key: str, api_url: str) -> None:
        self.app_id = app_id
        self._key = private_key
        self.api_url = api_url.rstrip("/")

    def __repr__(self) -> str:  # never the key
        return f"GitHubApp(app_id={self.app_id!r}, api_url={self.api_url!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> GitHubApp:
        key = settings.github_key()
        if not settings.github_app_id or not key:
            raise NotConfigured(
                "the GitHub App is not configured: set DEVFORGE_GITHUB_APP_ID and "
                "DEVFORGE_GITHUB_PRIVATE_KEY (or DEVFORGE_GITHUB_PRIVATE_KEY_FILE)"
            )
        return cls(settings.github_app_id, key, settings.github_api_url)

    def _integration(self) -> GithubIntegration:
        return GithubIntegration(
            auth=Auth.AppAuth(self.app_id, self._key),
            base_url=self.api_url,
            retry=2,
            seconds_between_requests=None,
        )

    def installation(self, installation_id: int) -> Installation:
        inst = self._integration().get_app_installation(installation_id)
        account = inst.account.login if inst.account is not None else str(installation_id)
        return Installation(inst.id, account)

    def token(self, installation_id: int, permissions: dict[str, str]) -> str:
        """A fresh installation token limited to ``permissions`` (about an hour's validity)."""
        return self._integration().get_access_token(installation_id, permissions).token

    def client(self, token: str) -> Github:
        return Github(
            auth=Auth.Token(token), base_url=self.api_url, retry=2, seconds_between_requests=None
        )

    def repositories(self, installation_id: int) -> list[RemoteRepo]:
        """Every repository the installation can reach (``GET /installation/repositories``)."""
        inst = self._integration().get_app_installation(installation_id)
        return [
            RemoteRepo(r.id, r.full_name, r.name, r.clone_url, r.default_branch)
            for r in inst.get_repos()
        ]
