"""The gateway as its own process with the guard and the projector beside it, on the real bus and
database, with tokens from a third-party OIDC issuer (oauth2-mock-server)."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest

from services.gateway.app import app
from shared import approvals
from shared.bus.client import Bus
from shared.ids import new_id, new_job_id
from shared.messages import CostUpdated, JobCancelled
from tests.support import gateway as gw
from tests.support.running import eventually

SUBMIT_RATE = 12


@pytest.fixture(scope="module")
def stack(
    nats_as: Callable[[str], str],
    pg_url: str,
    topology: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("gw")
    admin = secrets.token_urlsafe(24)
    base = gw.base_env(home, pg_url)
    log = home / "services.log"
    with gw.oidc_issuer() as oidc:
        env = {
            **base,
            "DEVFORGE_NATS_URL": nats_as("gateway"),
            "DEVFORGE_OIDC_ISSUER": oidc["issuer"],
            "DEVFORGE_OIDC_AUDIENCE": gw.AUDIENCE,
            "DEVFORGE_ROLE_CLAIM": "org_role",
            "DEVFORGE_ADMIN_TOKEN": admin,
            "DEVFORGE_SUBMIT_RATE": str(SUBMIT_RATE),
            "DEVFORGE_MAX_BODY": "65536",
        }
        with (
            gw.process("services.guard", {**base, "DEVFORGE_NATS_URL": nats_as("guard")}, log),
            gw.process(
                "services.gateway.projector",
                {**base, "DEVFORGE_NATS_URL": nats_as("projector")},
                log,
            ),
            gw.gateway(env, log) as url,
        ):
            yield {"url": url, "tokens": oidc["tokens"], "admin": admin, "log": log}


def _client(stack: dict[str, Any], who: str, **headers: str) -> httpx2.AsyncClient:
    token = stack["admin"] if who == "operator" else stack["tokens"][who]
    return httpx2.AsyncClient(
        base_url=stack["url"], headers={"Authorization": f"Bearer {token}", **headers}, timeout=30
    )


async def _tenant_of(stack: dict[str, Any], who: str) -> str:
    async with _client(stack, who) as c:
        r = await c.get("/v1/me")
    assert r.status_code == 200, r.text
    return str(r.json()["tenant"])


async def _with_repo(pool: asyncpg.Pool[Any], tenant: str) -> None:
    await pool.execute(
        "INSERT INTO repos (tenant_id, id, url, default_branch) VALUES ($1, 'shop', "
        "'file:///nonexistent', 'main') ON CONFLICT DO NOTHING",
        tenant,
    )


async def _submit(stack: dict[str, Any], who: str, title: str = "Add /health") -> str:
    async with _client(stack, who) as c:
        r = await c.post("/v1/jobs", json={"repo": "shop", "title": title, "body": "please"})
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


async def _job_row(pool: asyncpg.Pool[Any], job: str) -> None:
    async def there() -> bool:
        return bool(await pool.fetchval("SELECT 1 FROM jobs WHERE id = $1", job))

    await eventually(there, timeout=30)


async def test_tokens_from_the_issuer_work_and_every_forgery_is_401(
    stack: dict[str, Any],
) -> None:
    attacks = {k: v for k, v in stack["tokens"].items() if k.startswith("attack_")}
    assert len(attacks) == 11
    async with httpx2.AsyncClient(base_url=stack["url"], timeout=30) as c:
        ok = await c.get(
            "/v1/jobs", headers={"Authorization": f"Bearer {stack['tokens']['alice_acme']}"}
        )
        assert ok.status_code == 200, ok.text
        assert (await c.get("/v1/jobs")).status_code == 401
        for name, token in attacks.items():
            r = await c.get("/v1/jobs", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, (name, r.status_code, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
    me = await _tenant_of(stack, "alice_acme")
    assert me == "acme" and await _tenant_of(stack, "carol_globex") == "globex"


async def test_a_ticket_with_a_secret_is_422_and_never_echoed(
    stack: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    await _with_repo(pool, await _tenant_of(stack, "alice_acme"))
    key = "AKIA" + "Q7RK2LM9XV4TN8WC"
    async with _client(stack, "alice_acme") as c:
        r = await c.post("/v1/jobs", json={"repo": "shop", "title": "t", "body": f"key {key}"})
        assert r.status_code == 422 and "aws" in r.text.lower() and key not in r.text
        big = await c.post("/v1/jobs", content=b"{" + b" " * 70000 + b"}")
        assert big.status_code == 413 and "larger than" in big.json()["detail"]
        unknown = await c.post("/v1/jobs", json={"repo": "nope", "title": "t"})
        assert unknown.status_code == 422 and "nope" in unknown.json()["detail"]


async def test_every_route_hides_another_tenants_objects(
    stack: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    """Walks the OpenAPI route table, so a new endpoint is covered without editing this test."""
    acme, globex = await _tenant_of(stack, "alice_acme"), await _tenant_of(stack, "carol_globex")
    await _with_repo(pool, acme)
    await _with_repo(pool, globex)
    theirs = await _submit(stack, "carol_globex", "globex secret project")
    await _job_row(pool, theirs)
    async with pool.acquire() as conn:
        request_id, _ = await approvals.open_request(
            conn, tenant=globex, job_id=theirs, kind="plan", timeout_s=600, summary="x", rule_ids=[]
        )
    await pool.execute(
        "INSERT INTO pull_requests (tenant_id, job_id, repo_id, number, url, branch, base, "
        "title, body) VALUES ($1, $2, 'shop', 4242, 'https://forge.example/pr/4242', "
        "'devforge/x', 'main', 'globex secret project', 'b')",
        globex,
        theirs,
    )
    values = {"job_id": theirs, "request_id": request_id}
    checked = 0
    async with _client(stack, "alice_acme") as c:
        for path, operations in app.openapi()["paths"].items():
            if not path.startswith("/v1"):
                continue
            params = re.findall(r"{(\w+)}", path)
            for method in sorted(m.upper() for m in operations):
                if params:
                    url = path.format(**{p: values[p] for p in params})
                    r = await c.request(method, url, json={} if method != "GET" else None)
                    assert r.status_code == 404, (method, path, r.status_code, r.text)
                    checked += 1
                elif method == "GET":
                    r = await c.get(path)
                    assert r.status_code == 200, (path, r.text)
                    body = r.text
                    assert theirs not in body and request_id not in body, path
                    assert "globex secret project" not in body, path
                    checked += 1
    assert checked >= 15
    # The other way round too: globex sees its own objects.
    async with _client(stack, "carol_globex") as c:
        assert (await c.get(f"/v1/jobs/{theirs}")).status_code == 200
        assert (await c.get(f"/v1/prs/{theirs}")).status_code == 200


async def test_nobody_approves_their_own_job_but_a_colleague_can(
    stack: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    acme = await _tenant_of(stack, "bob_acme_approver")
    await _with_repo(pool, acme)
    job = await _submit(stack, "bob_acme_approver", "needs a migration")
    await _job_row(pool, job)
    async with pool.acquire() as conn:
        rid, _ = await approvals.open_request(
            conn, tenant=acme, job_id=job, kind="plan", timeout_s=600, summary="m", rule_ids=[]
        )
    async with _client(stack, "bob_acme_approver") as c:
        own = await c.post(f"/v1/approvals/{rid}/approve")
        assert own.status_code == 403 and "someone else" in own.json()["detail"]
    async with _client(stack, "alice_acme") as c:  # a submitter may not approve at all
        assert (await c.post(f"/v1/approvals/{rid}/approve")).status_code == 403
    async with _client(stack, "erin_globex_approver") as c:  # another tenant: not found
        assert (await c.post(f"/v1/approvals/{rid}/approve")).status_code == 404
    async with _client(stack, "dave_acme_admin") as c:
        listed = (await c.get("/v1/approvals", params={"status": "pending"})).json()["items"]
        assert rid in [a["request_id"] for a in listed]
        ok = await c.post(f"/v1/approvals/{rid}/approve")
        assert ok.status_code == 202, ok.text
    row = await pool.fetchrow(
        "SELECT approver, break_glass FROM approvals WHERE request_id = $1", rid
    )
    assert row["approver"] == "dave" and row["break_glass"] is False


async def _frames(
    resp: httpx2.Response, stop: Callable[[list[dict[str, str]]], bool]
) -> list[dict[str, str]]:
    frames: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    async for line in resp.aiter_lines():
        if not line:
            if "id" in cur:
                frames.append(cur)
                if stop(frames):
                    break
            cur = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            cur[key] = value
    return frames


async def test_a_client_resuming_with_last_event_id_gets_every_event_once_in_order(
    stack: dict[str, Any], pool: asyncpg.Pool[Any], bus: Bus
) -> None:
    acme = await _tenant_of(stack, "alice_acme")
    await _with_repo(pool, acme)
    job = await _submit(stack, "alice_acme", "follow me")

    def cost(i: int) -> CostUpdated:
        return CostUpdated(
            agent="lead", model="m", call_id=new_id(), input_tokens=i, output_tokens=1, cost_usd=0.0
        )

    async with _client(stack, "alice_acme") as c:
        async with c.stream("GET", f"/v1/jobs/{job}/events") as first:
            assert first.headers["content-type"].startswith("text/event-stream")
            got1 = await _frames(first, lambda f: any(x["event"] == "ticket.accepted" for x in f))
        for i in range(3):  # while nobody listens
            await bus.publish_job(acme, job, cost(i))
        resume = {"Last-Event-ID": got1[-1]["id"]}
        async with c.stream("GET", f"/v1/jobs/{job}/events", headers=resume) as second:

            async def finish() -> None:
                await asyncio.sleep(0.5)
                for i in range(3, 5):
                    await bus.publish_job(acme, job, cost(i))
                await bus.publish_job(acme, job, JobCancelled(by="test", reason="done"))

            task = asyncio.create_task(finish())
            got2 = await _frames(second, lambda f: f[-1]["event"] == "job.cancelled")
            await task
        async with c.stream("GET", f"/v1/jobs/{job}/events") as whole:
            everything = await _frames(whole, lambda f: f[-1]["event"] == "job.cancelled")
    ids = [int(f["id"]) for f in got1 + got2]
    assert ids == [int(f["id"]) for f in everything]  # nothing missed, nothing twice
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [f["event"] for f in everything][:2] == ["ticket.submitted", "ticket.accepted"]
    assert sum(f["event"] == "cost.updated" for f in everything) == 5
    assert json.loads(everything[-1]["data"])["reason"] == "done"


# Last: it spends the tenant's submissions for this minute.
async def test_submissions_beyond_the_rate_are_429(
    stack: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    await _with_repo(pool, await _tenant_of(stack, "dave_acme_admin"))
    codes = []
    async with _client(stack, "dave_acme_admin") as c:
        for i in range(SUBMIT_RATE + 2):
            r = await c.post("/v1/jobs", json={"repo": "shop", "title": f"burst {i}"})
            codes.append(r.status_code)
    assert 429 in codes and codes.index(429) <= SUBMIT_RATE


def test_the_services_log_no_token(stack: dict[str, Any]) -> None:
    text = Path(stack["log"]).read_text()
    assert all(t not in text for t in stack["tokens"].values()) and stack["admin"] not in text


async def test_text_no_database_or_peer_can_hold_is_a_4xx_naming_the_field(
    stack: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    """NUL in query parameters, NaN / Infinity / endless numbers and lone surrogates in JSON
    bodies: each once answered 500 (or failed a job later); each is now refused up front."""
    await _with_repo(pool, await _tenant_of(stack, "alice_acme"))
    async with _client(stack, "alice_acme", **{"content-type": "application/json"}) as c:
        for path, param in (
            ("/v1/jobs?q=%00", "q"),
            ("/v1/jobs?status=%00", "status"),
            ("/v1/audit?job_id=a%00b", "job_id"),
            ("/v1/approvals?status=%00", "status"),
        ):
            r = await c.get(path)
            assert r.status_code == 400, (path, r.status_code, r.text)
            assert (
                f"query parameter {param!r}" in r.json()["detail"] and "NUL" in r.json()["detail"]
            )
        for method, path, body, where, what in (
            ("PUT", "/v1/settings", b'{"max_jobs_per_day": NaN}', "body.max_jobs_per_day", "NaN"),
            ("PUT", "/v1/settings", b'{"x": [1, Infinity]}', "body.x[1]", "Infinity"),
            (
                "POST",
                "/v1/jobs",
                b'{"repo": "shop", "title": "\\ud800", "body": "b"}',
                "body.title",
                "a lone surrogate",
            ),
            ("POST", "/v1/jobs", b'{"repo": "shop", "title": "a\\u0000b"}', "body.title", "NUL"),
            (
                "POST",
                "/v1/jobs",
                b'{"repo": "shop", "title": "t", "n": ' + b"9" * 5000 + b"}",
                "body",
                "a number",
            ),
            (
                "POST",
                "/v1/repos",
                b'{"name": "r", "url": "file:///x", "default_branch": "m\\u0000"}',
                "body.default_branch",
                "NUL",
            ),
            (
                "POST",
                "/v1/approvals/01j0000000000000000000000a/refuse",
                b'{"reason": "no\\u0000"}',
                "body.reason",
                "NUL",
            ),
        ):
            r = await c.request(method, path, content=body)
            assert r.status_code == 422, (path, r.status_code, r.text)
            detail = r.json()["detail"]
            assert where in detail and what in detail, (path, detail)
        # still fine: ordinary text, and numbers
        ok = await c.get("/v1/jobs?q=health")
        assert ok.status_code == 200, ok.text


async def test_of_ten_parallel_approvals_exactly_one_is_granted_and_takes_effect(
    stack: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    """Once all ten answered 202 "granted" and none took effect (each mint replaced the token
    the one before was delivering, and the copies shared one dedupe id)."""
    acme = await _tenant_of(stack, "alice_acme")
    job = new_job_id()  # a job row of its own (the module's submission rate is spent elsewhere)
    await pool.execute(
        "INSERT INTO jobs (tenant_id, id, repo_id, title, status, submitted_by) "
        "VALUES ($1, $2, 'shop', 'ten approvers', 'awaiting_plan_approval', 'alice')",
        acme,
        job,
    )
    async with pool.acquire() as conn:
        rid, _ = await approvals.open_request(
            conn, tenant=acme, job_id=job, kind="plan", timeout_s=600, summary="m", rule_ids=[]
        )
    async with (
        _client(stack, "dave_acme_admin") as dave,
        _client(stack, "bob_acme_approver") as bob,
    ):
        answers = await asyncio.gather(
            *(c.post(f"/v1/approvals/{rid}/approve") for c in [dave, bob] * 5)
        )
    granted = [r for r in answers if r.status_code == 202]
    assert len(granted) == 1 and granted[0].json()["status"] == "granted", [
        (r.status_code, r.text) for r in answers
    ]
    refused = [r for r in answers if r.status_code != 202]
    assert [r.status_code for r in refused] == [409] * 9
    for r in refused:
        assert "is being decided by" in r.json()["detail"] or "already" in r.json()["detail"]

    async def decided() -> str | None:
        status = await pool.fetchval("SELECT status FROM approvals WHERE request_id = $1", rid)
        return str(status) if status != "pending" else None

    assert await eventually(decided, timeout=30) == "granted"
    async with _client(stack, "dave_acme_admin") as c:
        late = await c.post(f"/v1/approvals/{rid}/approve")
    assert late.status_code == 409 and "is already granted" in late.json()["detail"], late.text


async def test_a_repository_is_connected_with_its_tenants_test_command(
    stack: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    async with _client(stack, "dave_acme_admin") as c:
        body = {"name": "tested", "url": "https://git.example/acme/tested.git"}
        made = await c.post("/v1/repos", json={**body, "test_command": "make check QUICK=1"})
        assert made.status_code == 201, made.text
        assert made.json()["test_command"] == "make check QUICK=1"
        again = await c.post("/v1/repos", json=body)  # connected again: the command stays
        assert again.status_code == 201 and again.json()["test_command"] == "make check QUICK=1"
        listed = {r["name"]: r for r in (await c.get("/v1/repos")).json()["items"]}
        assert listed["tested"]["test_command"] == "make check QUICK=1"
        bad = await c.post("/v1/repos", json={**body, "test_command": "'unbalanced"})
        assert bad.status_code == 422 and "the test command cannot be split" in bad.text
