"""``POST /v1/github/webhook``: GitHub's deliveries. No bearer token: a delivery is trusted
only with a valid ``X-Hub-Signature-256`` (the App's webhook secret); the tenant and
repository come from the installation and repository ids, through the records the connect
flow wrote. A bad signature is 401, a malformed delivery 400, anything not used 202 ignored.

``push`` to the default branch becomes ``repo.pushed`` (re-index); a comment by a person with
write access on a DevForge pull request becomes a follow-up job on that pull request's branch
(a redelivery of the same delivery id starts nothing new).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from services.gateway.deps import gw
from shared.forge.github import links
from shared.forge.github import webhook as wh
from shared.ids import new_job_id
from shared.messages import RepoPushed, TicketSubmitted
from shared.policy.secrets import scan

router = APIRouter(prefix="/v1/github")


def _ignored(reason: str) -> JSONResponse:
    return JSONResponse({"ignored": reason}, status_code=202)


@router.post("/webhook", status_code=202, response_model=None)
async def receive(request: Request) -> dict[str, Any] | JSONResponse:
    g = gw(request)
    secret = g.settings.github_webhook_secret
    if not secret:
        raise HTTPException(
            404, detail="webhooks are not configured (DEVFORGE_GITHUB_WEBHOOK_SECRET)"
        )
    raw = await request.body()
    if not wh.signature_valid(secret, raw, request.headers.get("x-hub-signature-256")):
        raise HTTPException(401, detail="the X-Hub-Signature-256 signature does not match")
    event = request.headers.get("x-github-event")
    delivery = request.headers.get("x-github-delivery", "")
    if not event:
        raise HTTPException(400, detail="the X-GitHub-Event header is missing")
    try:
        what = wh.interpret(event, json.loads(raw))
    except (ValueError, wh.Malformed) as exc:  # JSONDecodeError is a ValueError
        raise HTTPException(400, detail=f"malformed {event} delivery: {exc}") from None
    if isinstance(what, wh.Ignored):
        return _ignored(what.reason)
    link = await links.of_github(g.pool, what.installation_id, what.repo_github_id)
    if link is None:
        return _ignored("the repository is not connected to DevForge")
    if isinstance(what, wh.Push):
        await g.bus.publish_repo(
            link.tenant,
            link.repo_id,
            "pushed",
            RepoPushed(repo_id=link.repo_id, commit=what.commit, ref=what.ref),
        )
        return {"repo": link.repo_id, "reindex": what.commit}
    original = await links.pr_job(g.pool, link, what.number)
    if original is None:
        return _ignored(f"pull request #{what.number} was not opened by DevForge")
    if delivery and not await g.pool.fetchval(
        "INSERT INTO processed_messages (consumer, msg_key) VALUES ('github-webhook', $1) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        delivery[:200],
    ):
        return _ignored(f"delivery {delivery} was already handled")
    title, body = wh.follow_up_text(what)
    if scan(f"{title}\n{body}"):  # never published: a secret in a comment stays out of the bus
        return _ignored("the comment holds a secret-shaped string: not turned into a ticket")
    job = new_job_id()
    ticket = TicketSubmitted(
        repo=link.repo_id,
        title=title,
        body=body,
        submitted_by=f"github:{what.author}"[:200],
        follow_up_of=original,
    )
    try:
        await g.bus.publish_job(link.tenant, job, ticket)
    except Exception:
        await g.pool.execute(  # let GitHub's redelivery try again
            "DELETE FROM processed_messages WHERE consumer = 'github-webhook' AND msg_key = $1",
            delivery[:200],
        )
        raise
    return {"job_id": job, "follow_up_of": original}
