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
- a user's authorization during installation: ``authorize(login)`` is what GitHub puts in the
  setup redirect (a one-time code for that user); ``POST /login/oauth/access_token`` (GitHub's
  web host, not the REST description: checked by hand) trades it for a user token once, with
  GitHub's answers to a bad code or client (status 200 with ``error``);
  ``GET /user/installations`` lists, page by page, the installations that user can access
  (``add_user``), and ``DELETE /applications/{client_id}/token`` revokes a user token;
- the install page a browser is sent to (``GET /apps/<slug>/installations/new?state=``):
  ``install_in_browser(login, installation_id)`` says who, signed in on GitHub, installs the
  App there; the page then redirects to the App's ``setup_url`` as GitHub does, with the
  installation id, ``setup_action=install``, that user's one-time code and the state unchanged;
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
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx2
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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
    ("GET", r"/user/installations", "/user/installations"),
    (
        "DELETE",
        r"/applications/(?P<client_id>[^/]+)/token",
        "/applications/{client_id}/token",
    ),
]
OAUTH_TOKEN = "/login/oauth/access_token"
INSTALL_PAGE = r"/apps/[^/]+/installations/new"  # on GitHub's web host
CODE_TTL_S = 600.0  # GitHub's codes expire after ten minutes
_DOCS = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"

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
    client_id: str = field(default_factory=lambda: "Iv23" + secrets.token_hex(8))
    client_secret: str = field(default_factory=lambda: secrets.token_hex(20))
    installations: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    users: dict[str, set[int]] = field(default_factory=dict)  # login -> installations it sees
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> login, expiry
    used_codes: set[str] = field(default_factory=set)
    user_tokens: dict[str, str] = field(default_factory=dict)  # token -> login
    refresh_tokens: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    repos: dict[str, Repo] = field(default_factory=dict)
    tokens: dict[str, tuple[int, dict[str, str], float]] = field(default_factory=dict)
    pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    git_calls: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    setup_url: str = ""  # the App's setup URL (its settings on GitHub)
    installer: tuple[str, int] | None = None  # who installs from the browser, and what
    redirects: list[str] = field(default_factory=list)  # where the install page sent browsers

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

    def add_user(self, login: str, installations: set[int]) -> None:
        """A GitHub user who can access these installations of the App."""
        self.users[login] = set(installations)

    def authorize(self, login: str, ttl_s: float = CODE_TTL_S) -> str:
        """The code GitHub puts in the setup redirect after ``login`` authorizes the App."""
        assert login in self.users, f"no user {login!r}"
        code = secrets.token_hex(10)
        with self.lock:
            self.codes[code] = (login, time.time() + ttl_s)
        return code

    def setup_redirect(self, login: str, installation_id: int, install_url: str) -> dict[str, Any]:
        """The query GitHub's setup redirect carries after ``login`` installed the App from
        ``install_url`` (DevForge's link, whose state comes back unchanged)."""
        state = dict(parse_qsl(urlsplit(install_url).query))["state"]
        return {
            "installation_id": installation_id,
            "setup_action": "install",
            "code": self.authorize(login),
            "state": state,
        }

    def install_in_browser(self, login: str, installation_id: int) -> None:
        """The next browser on the install page is ``login``, who installs (and authorizes)
        the App as ``installation_id``."""
        assert login in self.users, f"no user {login!r}"
        self.installer = (login, installation_id)

    def install_page(self, query: dict[str, str]) -> str:
        """Where GitHub's install page sends the browser once the App is installed."""
        if self.installer is None or not self.setup_url:
            raise ValueError("install page: call install_in_browser and set setup_url first")
        if not query.get("state"):
            raise ValueError("install page: DevForge's link carries no state")
        login, installation_id = self.installer
        back = {
            "installation_id": str(installation_id),
            "setup_action": "install",
            "code": self.authorize(login),
            "state": query["state"],
        }
        location = f"{self.setup_url}?{urlencode(back)}"
        self.redirects.append(location)
        return location

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

    def _installation(self, inst_id: int) -> dict[str, Any]:
        base = oa.skeleton(oa.spec()["components"]["schemas"]["installation"])
        return oa.overlay(
            base,
            {
                "id": inst_id,
                "app_id": int(self.app_id),
                "account": self._user(self.installations[inst_id][0]),
                "target_type": "Organization",
                "repository_selection": "selected",
            },
        )

    def _error(self, status: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, {"message": message, "documentation_url": "https://docs.github.com/rest"}

    def api(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """(status, JSON answer or None for no body, extra headers)."""
        if path == "/user/installations":
            return self._user_installations(query, auth)
        if path.startswith("/applications/"):
            return (*self._revoke(path.split("/")[2], body, auth), [])
        for verb, pattern, _ in _ROUTES:
            m = re.fullmatch(pattern, path)
            if m and verb == method:
                return (*self._route(method, path, m.groupdict(), query, body, auth), [])
        return (*self._error(404, "Not Found"), [])

    # ---- a user's authorization ----------------------------------------------------------

    def _login_of(self, auth: str) -> str | None:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        with self.lock:
            return None if value in self.revoked else self.user_tokens.get(value)

    def _user_installations(
        self, query: dict[str, str], auth: str
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        login = self._login_of(auth)
        if login is None:
            if self._token(auth) is not None:  # an installation token is not a user
                return (*self._error(403, "Resource not accessible by integration"), [])
            return (*self._error(401, "Bad credentials"), [])
        ids = sorted(i for i in self.users.get(login, set()) if i in self.installations)
        per_page, page = min(int(query.get("per_page", 30)), 100), int(query.get("page", 1))
        items = [self._installation(i) for i in ids[(page - 1) * per_page : page * per_page]]
        last = max(1, -(-len(ids) // per_page))
        links = []
        if page < last:
            at = f"{self.url}/user/installations?per_page={per_page}&page="
            links = [f'<{at}{page + 1}>; rel="next"', f'<{at}{last}>; rel="last"']
        headers = [("Link", ", ".join(links))] if links else []
        return 200, {"total_count": len(ids), "installations": items}, headers

    def _revoke(self, client_id: str, body: dict[str, Any], auth: str) -> tuple[int, Any]:
        scheme, _, value = auth.partition(" ")
        given = base64.b64decode(value).decode() if scheme.lower() == "basic" else ""
        if client_id != self.client_id or given != f"{self.client_id}:{self.client_secret}":
            return self._error(404, "Not Found")
        with self.lock:
            if body["access_token"] not in self.user_tokens:
                return 422, {"message": "Validation Failed", "errors": []}
            self.revoked.add(body["access_token"])
        return 204, None

    def oauth_token(self, method: str, headers: Any, body: bytes) -> tuple[int, str, bytes]:
        """``POST /login/oauth/access_token``: a code for a user token, once (checked by hand:
        this endpoint is on GitHub's web host and outside the REST description)."""
        if method != "POST":
            raise ValueError(f"{method} {OAUTH_TOKEN}: only POST is served")
        kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind == "application/x-www-form-urlencoded":
            params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        elif kind == "application/json":
            params = json.loads(body)
        else:
            raise ValueError(f"{OAUTH_TOKEN}: unexpected content type {kind!r}")
        missing = [k for k in ("client_id", "client_secret", "code") if not params.get(k)]
        if missing:
            raise ValueError(f"{OAUTH_TOKEN}: missing {', '.join(missing)}")
        unknown = sorted(set(params) - {"client_id", "client_secret", "code", "redirect_uri"})
        if unknown:
            raise ValueError(f"{OAUTH_TOKEN}: unknown parameters {', '.join(unknown)}")
        answer: dict[str, Any]
        with self.lock:
            found = self.codes.pop(params["code"], None)
            if params["client_id"] != self.client_id or not hmac.compare_digest(
                str(params["client_secret"]), self.client_secret
            ):
                if found is not None:  # a refused exchange leaves the code usable
                    self.codes[params["code"]] = found
                answer = {
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                    "error_uri": _DOCS + "#incorrect-client-credentials",
                }
            elif found is None or found[1] < time.time():
                if found is not None:
                    self.used_codes.add(params["code"])
                answer = {
                    "error": "bad_verification_code",
                    "error_description": "The code passed is incorrect or expired.",
                    "error_uri": _DOCS + "#bad-verification-code",
                }
            else:
                self.used_codes.add(params["code"])
                token, refresh = "ghu_" + secrets.token_hex(18), "ghr_" + secrets.token_hex(38)
                self.user_tokens[token] = found[0]
                self.refresh_tokens.append(refresh)
                answer = {
                    "access_token": token,
                    "expires_in": 28800,
                    "refresh_token": refresh,
                    "refresh_token_expires_in": 15811200,
                    "scope": "",
                    "token_type": "bearer",
                }
        # Like GitHub: JSON only when asked for; form encoding otherwise.
        if "application/json" in (headers.get("Accept") or ""):
            return 200, "application/json; charset=utf-8", json.dumps(answer).encode()
        form = "&".join(f"{k}={v}" for k, v in answer.items())
        return 200, "application/x-www-form-urlencoded; charset=utf-8", form.encode()

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
            if method == "GET":
                return 200, self._installation(inst_id)
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
        headers = [("Content-Type", "application/json; charset=utf-8")]
        try:
            if self.command == "GET" and re.fullmatch(INSTALL_PAGE, parts.path):
                headers = [("Location", s.install_page(query)), ("Cache-Control", "no-store")]
                status, data = 302, b""
            elif parts.path == OAUTH_TOKEN:
                status, kind, data = s.oauth_token(self.command, self.headers, body)
                headers = [("Content-Type", kind)]
            else:
                if op is None:
                    raise ValueError(
                        f"{self.command} {parts.path} is not an endpoint the stand-in knows"
                    )
                oa.check_request(
                    self.command, parts.path, query, body, self.headers.get("Content-Type")
                )
                payload = json.loads(body) if body else None
                status, answer, extra = s.api(
                    self.command, parts.path, query, payload, self.headers.get("Authorization", "")
                )
                data = b"" if answer is None else json.dumps(answer).encode()
                oa.check_response(self.command, parts.path, query, status, data)
                headers += extra
        except Exception as exc:
            s.errors.append(f"{self.command} {self.path}: {type(exc).__name__}: {exc}"[:2000])
            status, data = 400, json.dumps({"message": f"stand-in: {exc}"[:500]}).encode()
            headers = [("Content-Type", "application/json; charset=utf-8")]
        s.calls.append((self.command, parts.path, status))
        self._send(status, headers, data)

    do_GET = _serve
    do_POST = _serve
    do_DELETE = _serve


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


def app_key(directory: Path) -> tuple[Path, str]:
    """A GitHub App's private key in a file (PEM) and its public half, as GitHub would make."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "app.pem"
    path.write_bytes(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode()


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
