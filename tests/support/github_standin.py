"""A local stand-in of the GitHub endpoints DevForge uses, in one HTTP server on loopback:

- the REST API: installation (``GET /app/installations/{id}``), installation tokens (App JWT,
  RS256, checked with the App's public key), the installation's repositories, a repository,
  listing and creating pull requests. Every request and every response is validated against
  GitHub's published OpenAPI description (``tests/support/openapi_github.py``); a mismatch is
  answered with 400 and recorded in ``errors``, which every test asserts empty;
- git over HTTP (``/git/<owner>/<name>.git``, ``git http-backend``): each request must carry a
  live installation token of an installation that holds the repository (and ``contents: write``
  to push) as ``Authorization: Basic x-access-token:<token>``; a repository can be put under
  push protection (a pre-receive hook that refuses a marker with GitHub's GH013 text);
- webhooks: ``deliver`` signs a payload the way GitHub does and posts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2
import jwt

from tests.support import openapi_github as oa

_ROUTES: list[tuple[str, str, str]] = [  # method, regex, operation path in the description
    ("GET", r"/app/installations/(?P<installation_id>\d+)", "/app/installations/{installation_id}"),
    (
        "POST",
        r"/app/installations/(?P<installation_id>\d+)/access_tokens",
        "/app/installations/{installation_id}/access_tokens",
    ),
    ("GET", r"/installation/repositories", "/installation/repositories"),
    ("GET", r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)", "/repos/{owner}/{repo}"),
    ("GET", r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls", "/repos/{owner}/{repo}/pulls"),
    ("POST", r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls", "/repos/{owner}/{repo}/pulls"),
]

GH013 = """remote: error: GH013: Repository rule violations found for {ref}.
remote:
remote: - GITHUB PUSH PROTECTION
remote:   —————————————————————————————————————————
remote:     Resolve the following violations before pushing again
remote:
remote:     - Push cannot contain secrets
"""


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str
    path: Path

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class StandIn:
    root: Path
    app_id: str
    public_key: str
    url: str = ""
    installations: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    repos: dict[str, Repo] = field(default_factory=dict)
    tokens: dict[str, tuple[int, dict[str, str], float]] = field(default_factory=dict)
    pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    git_calls: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- set-up --------------------------------------------------------------------------

    def add_repo(self, owner: str, name: str, source: Path, default_branch: str = "main") -> Repo:
        path = self.root / "git" / owner / f"{name}.git"
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "clone", "--bare", "--quiet", str(source), str(path)], check=True, timeout=60
        )
        repo = Repo(1000 + len(self.repos), owner, name, default_branch, path)
        self.repos[repo.full_name] = repo
        self.pulls[repo.full_name] = []
        return repo

    def add_installation(self, installation_id: int, account: str, repos: list[str]) -> None:
        self.installations[installation_id] = (account, repos)

    def protect(self, full_name: str, marker: str) -> None:
        """Push protection: a push whose new commits add ``marker`` is refused (GH013)."""
        hook = self.repos[full_name].path / "hooks" / "pre-receive"
        text = GH013.replace("remote: ", "").replace("remote:", "")
        hook.write_text(
            "#!/bin/sh\n"
            "while read old new ref; do\n"
            '  range="$new"; [ "$old" = 0000000000000000000000000000000000000000 ] || '
            'range="$old..$new"\n'
            f'  if git log -p "$range" | grep -q -- {marker!r}; then\n'
            f"    sed \"s#{{ref}}#$ref#\" >&2 <<'EOF'\n{text}EOF\n"
            "    exit 1\n"
            "  fi\n"
            "done\n"
        )
        hook.chmod(0o755)

    def clone_url(self, full_name: str) -> str:
        return f"{self.url}/git/{full_name}.git"

    def branch_sha(self, full_name: str, branch: str) -> str:
        res = subprocess.run(
            ["git", "-C", str(self.repos[full_name].path), "rev-parse", f"refs/heads/{branch}"],
            capture_output=True,
            text=True,
        )
        return res.stdout.strip() if res.returncode == 0 else ""

    # ---- auth ----------------------------------------------------------------------------

    def _app_jwt(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        try:
            claims = jwt.decode(value, self.public_key, algorithms=["RS256"])
        except jwt.PyJWTError:
            return False
        return str(claims.get("iss")) == self.app_id

    def _token(self, header: str) -> tuple[int, dict[str, str]] | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            user, _, value = base64.b64decode(value).decode().partition(":")
            if user != "x-access-token":
                return None
        elif scheme.lower() not in ("token", "bearer"):
            return None
        with self.lock:
            found = self.tokens.get(value)
        if found is None or found[2] < time.time():
            return None
        return found[0], found[1]

    def _repo_of(self, installation_id: int, owner: str, name: str) -> Repo | None:
        full = f"{owner}/{name}"
        if full not in self.installations.get(installation_id, ("", []))[1]:
            return None
        return self.repos.get(full)

    # ---- REST ----------------------------------------------------------------------------

    def _user(self, login: str) -> dict[str, Any]:
        base = oa.skeleton(oa.spec()["components"]["schemas"]["simple-user"])
        return oa.overlay(base, {"login": login, "id": 7, "type": "Organization"})

    def _repository(self, repo: Repo, schema: str = "repository") -> dict[str, Any]:
        base = oa.skeleton(oa.spec()["components"]["schemas"][schema])
        return oa.overlay(
            base,
            {
                "id": repo.id,
                "name": repo.name,
                "full_name": repo.full_name,
                "owner": self._user(repo.owner),
                "private": True,
                "default_branch": repo.default_branch,
                "clone_url": self.clone_url(repo.full_name),
                "html_url": f"https://github.example/{repo.full_name}",
                "url": f"{self.url}/repos/{repo.full_name}",
            },
        )

    def _pull(self, repo: Repo, pr: dict[str, Any], schema: str) -> dict[str, Any]:
        base = oa.skeleton(oa.spec()["components"]["schemas"][schema])
        ref = {"label": "", "ref": "", "sha": "", "repo": self._repository(repo)}
        return oa.overlay(
            base,
            {
                **pr,
                "user": self._user(repo.owner),
                "head": {
                    **ref,
                    "label": f"{repo.owner}:{pr['head']}",
                    "ref": pr["head"],
                    "sha": self.branch_sha(repo.full_name, pr["head"]),
                },
                "base": {
                    **ref,
                    "label": f"{repo.owner}:{pr['base']}",
                    "ref": pr["base"],
                    "sha": self.branch_sha(repo.full_name, pr["base"]),
                },
            },
        )

    def _error(self, status: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, {"message": message, "documentation_url": "https://docs.github.com/rest"}

    def api(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, Any]:
        for verb, pattern, _ in _ROUTES:
            m = re.fullmatch(pattern, path)
            if m and verb == method:
                return self._route(method, path, m.groupdict(), query, body, auth)
        return self._error(404, "Not Found")

    def _route(
        self,
        method: str,
        path: str,
        args: dict[str, str],
        query: dict[str, str],
        body: Any,
        auth: str,
    ) -> tuple[int, Any]:
        if path.startswith("/app/"):
            if not self._app_jwt(auth):
                return self._error(401, "A JSON web token could not be decoded")
            inst_id = int(args["installation_id"])
            if inst_id not in self.installations:
                return self._error(404, "Not Found")
            account = self.installations[inst_id][0]
            if method == "GET":
                base = oa.skeleton(oa.spec()["components"]["schemas"]["installation"])
                return 200, oa.overlay(
                    base,
                    {
                        "id": inst_id,
                        "app_id": int(self.app_id),
                        "account": self._user(account),
                        "target_type": "Organization",
                        "repository_selection": "selected",
                    },
                )
            token = "ghs_" + secrets.token_urlsafe(27)
            perms = dict((body or {}).get("permissions") or {"contents": "write"})
            with self.lock:
                self.tokens[token] = (inst_id, perms, time.time() + 3600)
            base = oa.skeleton(oa.spec()["components"]["schemas"]["installation-token"])
            return 201, oa.overlay(base, {"token": token, "expires_at": "2099-01-01T00:00:00Z"})
        holder = self._token(auth)
        if holder is None:
            return self._error(401, "Bad credentials")
        inst_id, _ = holder
        if path == "/installation/repositories":
            names = self.installations[inst_id][1]
            items = [self._repository(self.repos[n]) for n in names]
            return 200, {"total_count": len(items), "repositories": items}
        repo = self._repo_of(inst_id, args["owner"], args["repo"])
        if repo is None:
            return self._error(404, "Not Found")
        if path.endswith("/pulls") and method == "GET":
            found = [
                self._pull(repo, pr, "pull-request-simple")
                for pr in self.pulls[repo.full_name]
                if query.get("state", "open") in ("all", pr["state"])
                and query.get("head") in (None, f"{repo.owner}:{pr['head']}")
                and query.get("base") in (None, pr["base"])
            ]
            return 200, found
        if path.endswith("/pulls"):
            return self._create_pull(repo, body)
        return 200, self._repository(repo, "full-repository")

    def _create_pull(self, repo: Repo, body: dict[str, Any]) -> tuple[int, Any]:
        head, base = body["head"].split(":")[-1], body["base"]
        if not self.branch_sha(repo.full_name, head):
            return 422, {
                "message": "Validation Failed",
                "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
            }
        with self.lock:
            pulls = self.pulls[repo.full_name]
            if any(p["head"] == head and p["state"] == "open" for p in pulls):
                return 422, {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"A pull request already exists for {repo.owner}:{head}.",
                        }
                    ],
                }
            number = len(pulls) + 1
            pr = {
                "number": number,
                "id": 5000 + number,
                "state": "open",
                "title": body.get("title", ""),
                "body": body.get("body"),
                "head": head,
                "base": base,
                "html_url": f"https://github.example/{repo.full_name}/pull/{number}",
                "url": f"{self.url}/repos/{repo.full_name}/pulls/{number}",
            }
            pulls.append(pr)
        return 201, self._pull(repo, pr, "pull-request")

    # ---- git over HTTP -------------------------------------------------------------------

    def git(
        self, method: str, path: str, query: str, headers: Any, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        m = re.fullmatch(r"/git/(?P<owner>[^/]+)/(?P<name>[^/]+)\.git(?P<rest>/.*)", path)
        holder = self._token(headers.get("Authorization", ""))
        repo = m and holder and self._repo_of(holder[0], m["owner"], m["name"])
        pushing = "git-receive-pack" in path or "service=git-receive-pack" in query
        if not repo or (pushing and holder and holder[1].get("contents") != "write"):
            return 401, [("WWW-Authenticate", 'Basic realm="GitHub"')], b"authentication required\n"
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": str(self.root / "git"),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{repo.owner}/{repo.name}.git{m['rest']}",
            "QUERY_STRING": query,
            "REQUEST_METHOD": method,
            "CONTENT_TYPE": headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": headers.get("Git-Protocol", ""),
        }
        if headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = headers["Content-Encoding"]
        res = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=120
        )
        head, _, out = res.stdout.partition(b"\r\n\r\n")
        status, extra = 200, []
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(": ")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                extra.append((name, value))
        return status, extra, out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        s = self.server.standin
        parts = urlsplit(self.path)
        body = self._body()
        if parts.path.startswith("/git/"):
            status, headers, out = s.git(self.command, parts.path, parts.query, self.headers, body)
            s.git_calls.append((parts.path, status))
            self._send(status, headers, out)
            return
        query = dict(parse_qsl(parts.query))
        op = next(
            (o for v, p, o in _ROUTES if v == self.command and re.fullmatch(p, parts.path)), None
        )
        try:
            if op is None:
                raise ValueError(
                    f"{self.command} {parts.path} is not an endpoint the stand-in knows"
                )
            oa.check_request(
                self.command, parts.path, query, body, self.headers.get("Content-Type")
            )
            payload = json.loads(body) if body else None
            status, answer = s.api(
                self.command, parts.path, query, payload, self.headers.get("Authorization", "")
            )
            data = json.dumps(answer).encode()
            oa.check_response(self.command, parts.path, query, status, data)
        except Exception as exc:
            s.errors.append(f"{self.command} {self.path}: {type(exc).__name__}: {exc}"[:2000])
            status, data = 400, json.dumps({"message": f"stand-in: {exc}"[:500]}).encode()
        s.calls.append((self.command, parts.path, status))
        self._send(status, [("Content-Type", "application/json; charset=utf-8")], data)

    do_GET = _serve
    do_POST = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StandIn


def start(standin: StandIn) -> _Server:
    oa.openapi()  # load the description (and install it) before the first request
    server = _Server(("127.0.0.1", 0), _Handler)
    server.standin = standin
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def deliver(
    url: str, secret: str, event: str, payload: dict[str, Any], delivery: str | None = None
) -> httpx2.Response:
    """Post a webhook delivery as GitHub does: JSON body, event name, HMAC-SHA256 signature."""
    body = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx2.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or secrets.token_hex(16),
            "X-Hub-Signature-256": sig,
        },
        timeout=30,
    )
