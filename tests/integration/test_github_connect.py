"""Claiming a GitHub App installation: a tenant admin connects one only through GitHub's install
flow, with a state DevForge issued to that admin and a user authorization whose GitHub user can
access the installation. The gateway runs as its own process with tokens from a third-party
OIDC issuer; GitHub is the stand-in (tests/support/github_standin.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import asyncpg
import httpx2
import pytest

from shared import registry
from shared.bus.client import Bus
from shared.forge.github import links, states
from tests.support import gateway as gw
from tests.support import github_standin as gs
from tests.support.crew import demo_repo

APP_ID = "4243"
SLUG = "devforge-test"
ADMIN = secrets.token_urlsafe(24)
# Installation ids and repository names are unique per session: an installation belongs to
# one tenant for good, and the issuer's "acme" tenant is shared with the gateway's tests.
OURS = 200_000 + secrets.randbelow(10**9)  # ann's organisation's installation
THEIRS = OURS + 1  # mallory's
R1, R2, R3 = (f"{n}-{secrets.token_hex(3)}" for n in ("shop", "infra", "site"))


@pytest.fixture(scope="module")
def app_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return gs.app_key(tmp_path_factory.mktemp("app-key"))


@pytest.fixture
def standin(tmp_path: Path, app_key: tuple[Path, str]) -> Iterator[gs.StandIn]:
    s = gs.StandIn(tmp_path / "github", APP_ID, app_key[1])
    server = gs.start(s)
    src = demo_repo(tmp_path / "src")
    for owner, name in (("acme-gh", R1), ("acme-gh", R2), ("mallory-gh", R3)):
        s.add_repo(owner, name, src)
    s.add_installation(OURS, "acme-gh", [f"acme-gh/{R1}", f"acme-gh/{R2}"])
    s.add_installation(THEIRS, "mallory-gh", [f"mallory-gh/{R3}"])
    # Ann, a member of acme-gh on GitHub, sees 40 other installations first: OURS is on the
    # second page of her GET /user/installations.
    others = set(range(OURS - 40, OURS))
    for other in others:
        s.add_installation(other, f"org-{other}", [])
    s.add_user("ann", {OURS, *others})
    s.add_user("mallory", {THEIRS})  # knows OURS's id, cannot access it
    yield s
    server.shutdown()
    assert s.errors == [], "requests or responses that GitHub does not allow"


@pytest.fixture
def stack(
    standin: gs.StandIn,
    app_key: tuple[Path, str],
    nats_as: Any,
    pg_url: str,
    bus: Bus,
    tmp_path: Path,
) -> Iterator[dict[str, Any]]:
    home = tmp_path / "home"
    home.mkdir()
    with gw.oidc_issuer() as oidc:
        env = {
            **gw.base_env(home, pg_url),
            "DEVFORGE_NATS_URL": nats_as("gateway"),
            "DEVFORGE_LOG_LEVEL": "debug",  # the most the gateway ever logs
            "DEVFORGE_OIDC_ISSUER": oidc["issuer"],
            "DEVFORGE_OIDC_AUDIENCE": gw.AUDIENCE,
            "DEVFORGE_ROLE_CLAIM": "org_role",
            "DEVFORGE_ADMIN_TOKEN": ADMIN,
            "DEVFORGE_GITHUB_APP_ID": APP_ID,
            "DEVFORGE_GITHUB_PRIVATE_KEY_FILE": str(app_key[0]),
            "DEVFORGE_GITHUB_API_URL": standin.url,
            "DEVFORGE_GITHUB_OAUTH_URL": standin.url,
            "DEVFORGE_GITHUB_APP_SLUG": SLUG,
            "DEVFORGE_GITHUB_CLIENT_ID": standin.client_id,
            "DEVFORGE_GITHUB_CLIENT_SECRET": standin.client_secret,
        }
        log = home / "gateway.log"
        with gw.gateway(env, log) as url:
            yield {"url": url, "tokens": oidc["tokens"], "home": home, "log": log}


def _as(stack: dict[str, Any], who: str, tenant: str | None = None) -> httpx2.Client:
    token = ADMIN if who == "operator" else stack["tokens"][who]
    headers = {"Authorization": f"Bearer {token}"}
    if tenant:
        headers["X-DevForge-Tenant"] = tenant
    return httpx2.Client(base_url=stack["url"], headers=headers, timeout=60)


def _install_url(c: httpx2.Client) -> str:
    r = c.post("/v1/github/install-url")
    assert r.status_code == 201, r.text
    return str(r.json()["url"])


async def _claimed(pool: asyncpg.Pool[Any], installation_id: int) -> dict[str, Any]:
    """Every row the connect flow writes for this installation."""
    return {
        "installation": await pool.fetchval(
            "SELECT tenant_id FROM github_installations WHERE installation_id = $1",
            installation_id,
        ),
        "links": await pool.fetchval(
            "SELECT count(*) FROM github_repos WHERE installation_id = $1", installation_id
        ),
        "repos": await pool.fetchval(
            "SELECT count(*) FROM repos WHERE id = ANY($1::text[])", [R1, R2, R3]
        ),
        "audit": await pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'github.installation.connected' "
            "AND (details->>'installation_id')::bigint = $1",
            installation_id,
        ),
    }


NOTHING = {"installation": None, "links": 0, "repos": 0, "audit": 0}


async def test_only_a_github_user_who_can_access_the_installation_connects_it(
    stack: dict[str, Any],
    standin: gs.StandIn,
    pool: asyncpg.Pool[Any],
    bus: Bus,
    capfd: pytest.CaptureFixture[str],
) -> None:
    other = f"t-{secrets.token_hex(4)}"
    await registry.add_tenant(pool, bus, other)
    with (
        _as(stack, "dave_acme_admin") as dave,
        _as(stack, "alice_acme") as alice,
        _as(stack, "operator", "acme") as operator_acme,
        _as(stack, "operator", other) as operator_other,
    ):
        acme = dave.get("/v1/me").json()["tenant"]
        assert acme == "acme"

        # An installation id alone is not a claim for a tenant admin; a submitter starts nothing.
        r = dave.post("/v1/github/installations", json={"installation_id": OURS})
        assert r.status_code == 403 and "/v1/github/install-url" in r.json()["detail"]
        assert alice.post("/v1/github/install-url").status_code == 403
        assert await _claimed(pool, OURS) == NOTHING

        # GitHub's install page, carrying a state issued to dave of acme.
        url = _install_url(dave)
        assert url.startswith(f"{standin.url}/apps/{SLUG}/installations/new?state=")

        # Mallory's own authorization is valid, but mallory cannot access OURS: refused.
        mallory = standin.setup_redirect("mallory", OURS, url)
        r = dave.post("/v1/github/setup", json=mallory)
        assert r.status_code == 403, r.text
        assert f"cannot access installation {OURS}" in r.json()["detail"]
        assert mallory["code"] in standin.used_codes  # GitHub was really asked
        assert await _claimed(pool, OURS) == NOTHING
        refused = await pool.fetchrow(
            "SELECT actor, verdict FROM audit_log WHERE tenant_id = $1 "
            "AND action = 'github.installation.refused' "
            "AND (details->>'installation_id')::bigint = $2",
            acme,
            OURS,
        )
        assert refused is not None and tuple(refused) == ("dave", "deny")

        # That state is spent: replayed, even with a good code, it is refused.
        replay = {**mallory, "code": standin.authorize("ann")}
        r = dave.post("/v1/github/setup", json=replay)
        assert r.status_code == 403 and "already used" in r.json()["detail"]
        assert replay["code"] in standin.codes  # refused before GitHub was asked

        # Another tenant's state, or another admin's, does not let anyone in.
        foreign = standin.setup_redirect("ann", OURS, _install_url(operator_other))
        r = dave.post("/v1/github/setup", json=foreign)
        assert r.status_code == 403 and "another tenant or user" in r.json()["detail"]
        daves = standin.setup_redirect("ann", OURS, _install_url(dave))
        r = operator_acme.post("/v1/github/setup", json=daves)
        assert r.status_code == 403 and "another tenant or user" in r.json()["detail"]
        assert foreign["code"] in standin.codes and daves["code"] in standin.codes

        # A state past its time is refused.
        old = await states.issue(pool, acme, "dave", ttl_s=-60)
        r = dave.post("/v1/github/setup", json={**foreign, "state": old})
        assert r.status_code == 403 and "expired" in r.json()["detail"]

        # A code is good once: mallory's spent code for mallory's own installation is refused.
        reused = {**standin.setup_redirect("mallory", THEIRS, _install_url(dave))}
        reused["code"] = mallory["code"]  # spent above
        r = dave.post("/v1/github/setup", json=reused)
        assert r.status_code == 403 and "bad_verification_code" in r.json()["detail"]
        assert await _claimed(pool, THEIRS) == NOTHING

        # Without user authorization during installation there is nothing to verify.
        nocode = standin.setup_redirect("ann", OURS, _install_url(dave))
        del nocode["code"]
        r = dave.post("/v1/github/setup", json=nocode)
        assert r.status_code == 403 and "during installation" in r.json()["detail"]
        # A member's request for an owner's approval names no installation yet.
        asked = {"setup_action": "request", "state": _state(_install_url(dave))}
        r = dave.post("/v1/github/setup", json=asked)
        assert r.status_code == 202 and r.json()["status"] == "requested"
        assert await _claimed(pool, OURS) == NOTHING

        # The legitimate flow: ann installed the App on acme-gh from dave's link.
        good = standin.setup_redirect("ann", OURS, _install_url(dave))
        good["repos"] = [f"acme-gh/{R1}"]
        r = dave.post("/v1/github/setup", json=good)
        assert r.status_code == 201, r.text
        assert r.json()["repos"] == [
            {
                "name": R1,
                "full_name": f"acme-gh/{R1}",
                "url": standin.clone_url(f"acme-gh/{R1}"),
                "default_branch": "main",
            }
        ]
        assert await _claimed(pool, OURS) == {
            "installation": acme,
            "links": 1,
            "repos": 1,
            "audit": 1,
        }
        link = await links.of_repo(pool, acme, R1)
        assert link is not None and link.installation_id == OURS
        row = await pool.fetchrow(
            "SELECT actor, reason, details FROM audit_log WHERE tenant_id = $1 "
            "AND action = 'github.installation.connected'",
            acme,
        )
        assert row["actor"] == "dave" and row["reason"].startswith("verified")
        assert row["details"]["break_glass"] is False
        r = dave.post("/v1/github/setup", json=good)  # the same callback again: spent
        assert r.status_code == 403 and "already used" in r.json()["detail"]

        # A verified user of another tenant still finds the installation taken.
        late = standin.setup_redirect("ann", OURS, _install_url(operator_other))
        r = operator_other.post("/v1/github/setup", json=late)
        assert r.status_code == 409 and "another tenant" in r.json()["detail"]
        assert await registry.list_repos(pool, other) == []

        # The operator's break-glass connects by id alone, and the audit log says so.
        r = operator_other.post("/v1/github/installations", json={"installation_id": THEIRS})
        assert r.status_code == 201, r.text
        assert [x["full_name"] for x in r.json()["repos"]] == [f"mallory-gh/{R3}"]
        row = await pool.fetchrow(
            "SELECT actor, reason, details FROM audit_log WHERE tenant_id = $1 "
            "AND action = 'github.installation.connected'",
            other,
        )
        assert row["actor"] == "operator" and row["reason"].startswith("break-glass")
        assert row["details"]["break_glass"] is True

    # Three codes were exchanged (mallory's, the good one, the late one); each user token was
    # revoked after its one use, and none was written anywhere: not in the gateway's (debug)
    # log, its data directory, this process's output, or the database's files.
    assert len(standin.user_tokens) == 3 and set(standin.user_tokens) == standin.revoked
    listed = [c for c in standin.calls if c[1] == "/user/installations"]
    assert len(listed) == 1 + 2 + 2  # mallory's one page; ann's two pages, twice
    forms = [*standin.user_tokens, *standin.refresh_tokens, standin.client_secret]
    forms += [c for c in standin.used_codes]
    seen = capfd.readouterr()
    assert not [f for f in forms if f in seen.out or f in seen.err]
    assert stack["log"].stat().st_size > 0
    scanned = _scan(stack["home"], forms)
    assert scanned >= 2  # the gateway's log and its ready marker at least
    data_dir = Path(await pool.fetchval("SHOW data_directory"))
    await pool.execute("CHECKPOINT")
    # Only a hash of each state was stored.
    issued = [d["state"] for d in (mallory, foreign, daves, reused, nocode, asked, good, late)]
    assert _scan(data_dir, forms + issued) > 100


def _state(url: str) -> str:
    return str(dict(parse_qsl(urlsplit(url).query))["state"])


def _scan(root: Path, forms: list[str]) -> int:
    """How many files under ``root`` were read; fails on the first that holds any form."""
    encoded = [f.encode() for f in forms]
    count = 0
    for path in root.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        count += 1
        found = [f for f in encoded if f in data]
        assert not found, f"a user token, code or the client secret is in {path}"
    return count
