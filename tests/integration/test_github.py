"""The GitHub App forge against the stand-ins (tests/support/github_standin.py): GitHub's REST
endpoints checked against GitHub's published OpenAPI description, and a git server that
demands an installation token. The gateway runs as its own process (connect flow, webhooks);
the publisher runs on the real bus with its own identity; the engineers' part (clone, commit
to the job branch) is done here with the same workspace functions they use."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.publisher.app import build as build_publisher
from shared import registry
from shared.bus.client import Bus
from shared.forge import select
from shared.forge.base import PrRequest
from shared.forge.github import gitauth, links
from shared.ids import new_job_id
from shared.messages import QaPassed, TicketSubmitted
from shared.settings import Settings
from shared.workspace import branch_of, checkout, commit_and_push, git, workspace_remote
from tests.support import github_standin as gs
from tests.support.crew import demo_repo
from tests.support.gateway import base_env, gateway
from tests.support.running import collecting, eventually, running, settings

APP_ID = "4242"
SECRET = "whsec-" + secrets.token_hex(8)
ADMIN = secrets.token_urlsafe(24)
# Installation ids are unique per session: an installation belongs to one tenant for good.
ACME = 100_000 + secrets.randbelow(10**9)
GLOBEX = ACME + 1


@pytest.fixture(scope="module")
def app_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The App's private key in a file (outside the data directory) and its public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path_factory.mktemp("app-key") / "app.pem"
    path.write_bytes(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode()


@pytest.fixture
def standin(tmp_path: Path, app_key: tuple[Path, str]) -> Iterator[gs.StandIn]:
    s = gs.StandIn(tmp_path / "github", APP_ID, app_key[1])
    server = gs.start(s)
    src = demo_repo(tmp_path / "src")
    s.add_repo("acme", "shop", src)
    s.add_repo("acme", "infra", src)
    s.add_repo("globex", "site", src)
    s.add_installation(ACME, "acme", ["acme/shop", "acme/infra"])
    s.add_installation(GLOBEX, "globex", ["globex/site"])
    yield s
    server.shutdown()
    assert s.errors == [], "requests or responses that GitHub's description does not allow"


def _settings(nats_as: Any, pg_url: str, home: Path, key: Path, standin: gs.StandIn) -> Settings:
    return settings(
        nats_as("publisher"),
        pg_url,
        home,
        github_app_id=APP_ID,
        github_private_key_file=key,
        github_api_url=standin.url,
    )


async def _engineer(
    s: Settings,
    pool: asyncpg.Pool[Any],
    tenant: str,
    job: str,
    parent: str | None,
    files: dict[str, str],
) -> str:
    """What the engineers do to a job: clone (a token minted for the fetch), change, commit to
    the job branch of the workspace remote."""
    repo = await registry.get_repo(pool, tenant, "shop")
    env = await select.git_env(s, pool, tenant, "shop")
    home = s.home.resolve()
    remote = workspace_remote(home, tenant, "shop", repo.url, repo.default_branch, env)
    wd = checkout(
        remote, job, "main", home / "work" / "engineer" / job, branch_of(parent) if parent else None
    )
    for path, text in files.items():
        (wd / path).write_text(text)
    commit = commit_and_push(wd, job, "backend: write_file")
    assert commit is not None
    return commit


def _opened(col: Any, job: str) -> Any:
    async def probe() -> dict[str, Any] | None:
        for sj, body in col.items:
            if f".job.{job}." in sj and sj.endswith((".pr.opened", ".job.failed")):
                return {"event": sj.rsplit(".", 2)[-2] + "." + sj.rsplit(".", 1)[-1], **body}
        return None

    return probe


def _comment(
    number: int,
    association: str = "COLLABORATOR",
    user_type: str = "User",
    body: str = "Please also return the version in /health.",
) -> dict[str, Any]:
    return {
        "action": "created",
        "installation": {"id": ACME},
        "repository": {"id": 1000, "full_name": "acme/shop", "default_branch": "main"},
        "issue": {"number": number, "pull_request": {"url": "https://github.example/pulls/1"}},
        "comment": {
            "body": body,
            "html_url": "https://github.example/acme/shop/pull/1#issuecomment-1",
            "author_association": association,
            "user": {"login": "rita", "type": user_type},
        },
    }


def _every_file(root: Path) -> Iterator[Path]:
    yield from (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


async def test_connect_clone_push_pr_redelivery_and_follow_up(
    bus: Bus,
    pool: asyncpg.Pool[Any],
    nats_as: Any,
    pg_url: str,
    tmp_path: Path,
    standin: gs.StandIn,
    app_key: tuple[Path, str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    tenant, other = f"t-{secrets.token_hex(4)}", f"t-{secrets.token_hex(4)}"
    await registry.add_tenant(pool, bus, tenant)
    await registry.add_tenant(pool, bus, other)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **base_env(home, pg_url),
        "DEVFORGE_NATS_URL": nats_as("gateway"),
        "DEVFORGE_ADMIN_TOKEN": ADMIN,
        "DEVFORGE_GITHUB_APP_ID": APP_ID,
        "DEVFORGE_GITHUB_PRIVATE_KEY_FILE": str(app_key[0]),
        "DEVFORGE_GITHUB_WEBHOOK_SECRET": SECRET,
        "DEVFORGE_GITHUB_API_URL": standin.url,
    }
    as_tenant = {"Authorization": f"Bearer {ADMIN}", "X-DevForge-Tenant": tenant}
    as_other = {**as_tenant, "X-DevForge-Tenant": other}
    s = _settings(nats_as, pg_url, home, app_key[0], standin)
    with gateway(env, home / "gateway.log") as url:
        connect = f"{url}/v1/github/installations"
        # Connect: only repositories the installation holds, only installations GitHub knows.
        r = httpx2.post(
            connect, json={"installation_id": ACME, "repos": ["globex/site"]}, headers=as_tenant
        )
        assert r.status_code == 422 and "globex/site" in r.json()["detail"]
        r = httpx2.post(connect, json={"installation_id": 999}, headers=as_tenant)
        assert r.status_code == 404, r.text
        r = httpx2.post(
            connect, json={"installation_id": ACME, "repos": ["acme/shop"]}, headers=as_tenant
        )
        assert r.status_code == 201, r.text
        assert r.json()["repos"] == [
            {
                "name": "shop",
                "full_name": "acme/shop",
                "url": standin.clone_url("acme/shop"),
                "default_branch": "main",
            }
        ]
        # Another tenant cannot claim the same installation (nor reach its repositories).
        r = httpx2.post(connect, json={"installation_id": ACME}, headers=as_other)
        assert r.status_code == 409 and "another tenant" in r.json()["detail"]
        assert await registry.list_repos(pool, other) == []
        assert await links.of_repo(pool, other, "shop") is None
        link = await links.of_repo(pool, tenant, "shop")
        assert link is not None and (link.installation_id, link.full_name) == (ACME, "acme/shop")

        publisher = build_publisher()
        publisher.settings = s
        async with running(publisher), collecting(bus, f"devforge.{tenant}.>") as col:
            # Clone -> push -> PR.
            job = new_job_id()
            ticket = TicketSubmitted(
                repo="shop", title="Add /health", body="...", submitted_by="ann"
            )
            await bus.publish_job(tenant, job, ticket)
            commit = await _engineer(s, pool, tenant, job, None, {"health.py": "STATUS = 'ok'\n"})
            await bus.publish_job(tenant, job, QaPassed(round=1, commit=commit, gates=[]))
            opened = await eventually(_opened(col, job), timeout=60)
            assert opened["event"] == "pr.opened", opened
            assert (opened["number"], opened["branch"], opened["base"]) == (
                1,
                f"devforge/{job}",
                "main",
            )
            [pr] = standin.pulls["acme/shop"]
            assert (pr["head"], pr["base"], pr["title"]) == (
                f"devforge/{job}",
                "main",
                "Add /health",
            )
            assert "## Tests and gates" in pr["body"]
            gh_repo = standin.repos["acme/shop"].path
            first = standin.branch_sha("acme/shop", f"devforge/{job}")
            assert git(gh_repo, "show", f"{first}:health.py") == "STATUS = 'ok'"
            assert git(gh_repo, "rev-parse", f"{first}^") == standin.branch_sha("acme/shop", "main")

            # Redelivery: the same PR comes back, nothing is pushed or opened again.
            forge = await select.forge_for(s, pool, tenant, "shop")
            again = await forge.open_pr(
                PrRequest(
                    tenant=tenant,
                    job_id=job,
                    repo_id="shop",
                    source_url=link.clone_url,
                    workspace=home.resolve() / "workspaces" / tenant / "shop.git",
                    branch=f"devforge/{job}",
                    base="main",
                    title="Add /health",
                    body="again",
                )
            )
            assert (again.number, again.created, again.head) == (1, False, first)
            assert len(standin.pulls["acme/shop"]) == 1
            assert standin.branch_sha("acme/shop", f"devforge/{job}") == first

            # A reviewer's comment on the PR starts a follow-up job on the same branch.
            hook = f"{url}/v1/github/webhook"
            r = gs.deliver(hook, SECRET, "issue_comment", _comment(1), delivery="d-1")
            assert r.status_code == 202, r.text
            follow = r.json()["job_id"]
            assert r.json()["follow_up_of"] == job
            r = gs.deliver(hook, SECRET, "issue_comment", _comment(1), delivery="d-1")
            assert r.status_code == 202 and "already handled" in r.json()["ignored"]
            for ignored in (
                _comment(1, association="NONE"),
                _comment(1, user_type="Bot"),
                _comment(7),
            ):
                r = gs.deliver(hook, SECRET, "issue_comment", ignored)
                assert r.status_code == 202 and "ignored" in r.json(), r.text
            key = "AKIA" + "Q7RK2LM9XV4TN8WC"  # never published: no ticket is made of it
            leaky = _comment(1, body=f"use {key} for the test account")
            r = gs.deliver(hook, SECRET, "issue_comment", leaky, delivery="d-2")
            assert r.status_code == 202 and "secret-shaped" in r.json()["ignored"], r.text
            assert key not in r.text
            assert not [sj for sj, b in col.items if key in str(b)]

            async def follow_ticket() -> dict[str, Any] | None:
                return next(
                    (b for sj, b in col.items if sj.endswith(f"{follow}.ticket.submitted")), None
                )

            submitted = await eventually(follow_ticket)
            assert submitted["follow_up_of"] == job and submitted["repo"] == "shop"
            assert (
                "return the version" in submitted["body"]
                and submitted["submitted_by"] == "github:rita"
            )
            tickets = [sj for sj, _ in col.items if sj.endswith(".ticket.submitted")]
            assert (
                len(tickets) == 2
            )  # the original and one follow-up: the redelivery started nothing

            # The follow-up starts from the PR's branch and lands on the same PR as a new commit.
            commit2 = await _engineer(
                s, pool, tenant, follow, job, {"version.py": "VERSION = '1.5'\n"}
            )
            assert git(home / "workspaces" / tenant / "shop.git", "show", f"{commit2}:health.py")
            await bus.publish_job(tenant, follow, QaPassed(round=1, commit=commit2, gates=[]))
            opened2 = await eventually(_opened(col, follow), timeout=60)
            assert opened2["event"] == "pr.opened", opened2
            assert (opened2["number"], opened2["branch"]) == (1, f"devforge/{job}")
            assert len(standin.pulls["acme/shop"]) == 1
            second = standin.branch_sha("acme/shop", f"devforge/{job}")
            assert git(gh_repo, "rev-parse", f"{second}^") == first  # a fast-forward, no force
            files = git(gh_repo, "ls-tree", "--name-only", second).split()
            assert {"health.py", "version.py"} <= set(files)

            # A push to the default branch re-indexes; other refs and deliveries are ignored.
            sha = standin.branch_sha("acme/shop", "main")
            push = {
                "ref": "refs/heads/main",
                "after": sha,
                "installation": {"id": ACME},
                "repository": {"id": 1000, "full_name": "acme/shop", "default_branch": "main"},
            }
            r = gs.deliver(hook, SECRET, "push", push)
            assert r.status_code == 202 and r.json() == {"repo": "shop", "reindex": sha}

            async def repushed() -> dict[str, Any] | None:
                return next((b for sj, b in col.items if sj.endswith(".repo.shop.pushed")), None)

            assert (await eventually(repushed))["commit"] == sha
            r = gs.deliver(hook, SECRET, "push", {**push, "ref": f"refs/heads/devforge/{job}"})
            assert r.status_code == 202 and "not the default branch" in r.json()["ignored"]
            r = gs.deliver(hook, SECRET, "push", {**push, "installation": {"id": GLOBEX}})
            assert r.status_code == 202 and "not connected" in r.json()["ignored"]
            r = gs.deliver(hook, "wrong-secret", "push", push)
            assert r.status_code == 401
            r = gs.deliver(hook, SECRET, "star", {"action": "created"})
            assert r.status_code == 202 and "not used" in r.json()["ignored"]
            r = gs.deliver(hook, SECRET, "push", {"ref": "refs/heads/main"})
            assert r.status_code == 400 and "after" in r.json()["detail"]
            assert len([sj for sj, _ in col.items if sj.endswith(".pushed")]) == 1

    # Every git request to the forge carried a valid token; no token was written anywhere.
    assert standin.git_calls and all(status == 200 for _, status in standin.git_calls)
    tokens = list(standin.tokens)
    assert len(tokens) >= 6  # minted per use: connect, each clone, each push, the redelivery
    forms = [*tokens, *(gitauth.basic_header(t).split()[-1] for t in tokens)]
    seen = capfd.readouterr()
    scanned = 0
    for path in _every_file(home):
        data = path.read_bytes()
        scanned += 1
        assert not [f for f in forms if f.encode() in data], f"an installation token is in {path}"
        assert b"extraheader" not in data.lower(), path
    assert scanned > 50  # the workspace remote, the job working copies and the gateway's log
    assert (home / "gateway.log").stat().st_size > 0
    assert not [f for f in forms if f in seen.out or f in seen.err]


async def test_push_protection_fails_the_job_with_the_reason(
    bus: Bus,
    pool: asyncpg.Pool[Any],
    nats_as: Any,
    pg_url: str,
    tmp_path: Path,
    standin: gs.StandIn,
    app_key: tuple[Path, str],
) -> None:
    tenant = f"t-{secrets.token_hex(4)}"
    await registry.add_tenant(pool, bus, tenant)
    inst = ACME + 2 + secrets.randbelow(10**6)
    standin.add_installation(inst, "acme", ["acme/shop"])
    assert await links.claim_installation(pool, inst, tenant, "acme", "test") == tenant
    await registry.add_repo(pool, None, tenant, "shop", standin.clone_url("acme/shop"), "main")
    await links.add(pool, tenant, "shop", inst, 1000, "acme/shop")
    marker = "PROTECTED-" + secrets.token_hex(6)
    standin.protect("acme/shop", marker)
    home = tmp_path / "home"
    s = _settings(nats_as, pg_url, home, app_key[0], standin)
    publisher = build_publisher()
    publisher.settings = s
    async with running(publisher), collecting(bus, f"devforge.{tenant}.job.>") as col:
        job = new_job_id()
        ticket = TicketSubmitted(repo="shop", title="Add a key", body="...", submitted_by="ann")
        await bus.publish_job(tenant, job, ticket)
        commit = await _engineer(s, pool, tenant, job, None, {"keys.py": f"KEY = '{marker}'\n"})
        await bus.publish_job(tenant, job, QaPassed(round=1, commit=commit, gates=[]))
        ended = await eventually(_opened(col, job), timeout=60)
    assert ended["event"] == "job.failed", ended
    assert "GH013" in ended["reason"] and "Push cannot contain secrets" in ended["reason"]
    assert ended["service"] == "publisher"
    assert standin.pulls["acme/shop"] == []
    assert standin.branch_sha("acme/shop", f"devforge/{job}") == ""
    # Failed at once: the rejection is the forge's answer, not a fault worth retrying.
    assert len([sj for sj, _ in col.items if sj.endswith(".job.failed")]) == 1
