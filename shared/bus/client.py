"""Publishing on the bus: subjects from ``shared.subjects``, ``Nats-Msg-Id`` from identity."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Literal
from urllib.parse import unquote, urlsplit

import nats
from nats.aio.client import Client
from nats.js.api import PubAck
from nats.js.errors import NoStreamResponseError, ServiceUnavailableError

from shared import inputs
from shared import subjects as s
from shared.bus import dedupe
from shared.messages import (
    DeadLetter,
    Message,
    MintReply,
    MintRequest,
    SearchReply,
    SearchRequest,
    TaskReady,
    decode,
)
from shared.observe.metrics import MESSAGES_OUT


def identity_of(url: str) -> str | None:
    """The NATS user in a URL (``nats://user:pass@host:port``), if any."""
    user = urlsplit(url).username
    return unquote(user) if user else None


def inbox_for(url: str) -> str:
    """The inbox prefix this identity may subscribe to (see ``shared.natsauth``)."""
    from shared.natsauth import inbox_prefix

    user = identity_of(url)
    return inbox_prefix(user) if user else "_INBOX"


def job_event_name(msg: Message) -> str:
    """The subject suffix of a job message (``task.ready`` carries its role)."""
    if isinstance(msg, TaskReady):
        return f"task.ready.{msg.task.kind}"
    return msg.EVENT


def msg_id(tenant: str, scope: str, event: str, msg: Message, key: bytes | None = None) -> str:
    """Deterministic ``Nats-Msg-Id``: the same logical message always gets the same id; with
    the platform's key (``shared.bus.dedupe``) no tenant can predict it."""
    base = f"{tenant}.{scope}.{event}.{msg.identity()}"
    return dedupe.sign(key, base) if key else base


class Bus:
    """A thin layer over one nats-py connection: typed publishes with dedupe ids."""

    def __init__(
        self, nc: Client, service: str = "client", dedupe_key: bytes | None = None
    ) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.service = service  # the metrics label of what this process publishes
        self.dedupe_key = dedupe_key  # the platform's: set by every service, the gateway, the CLI

    @classmethod
    async def connect(cls, url: str, name: str = "devforge") -> Bus:
        nc = await nats.connect(
            url, name=name, max_reconnect_attempts=-1, inbox_prefix=inbox_for(url)
        )
        return cls(nc, service=name)

    async def close(self) -> None:
        await self.nc.drain()

    async def _publish(self, subject: str, data: bytes, mid: str, event: str) -> PubAck:
        """A JetStream publish that rides out a server whose streams are not answering yet (just
        started or restarted: no responder, or an empty reply). Safe to repeat: the message id
        deduplicates."""
        for attempt in range(6):
            try:
                ack = await self.js.publish(subject, data, headers={"Nats-Msg-Id": mid})
                MESSAGES_OUT.labels(self.service, event).inc()
                return ack
            except (NoStreamResponseError, ServiceUnavailableError, json.JSONDecodeError):
                if attempt == 5:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    async def publish_job(
        self, tenant: str, job_id: str, msg: Message, *, msg_id_override: str | None = None
    ) -> PubAck:
        event = job_event_name(msg)
        subject = s.job(tenant, job_id, event)
        mid = msg_id_override or msg_id(tenant, job_id, event, msg, self.dedupe_key)
        return await self._publish(subject, msg.to_bytes(), mid, event)

    async def publish_tenant_created(self, tenant: str, msg: Message) -> PubAck:
        mid = msg_id(tenant, "tenant", msg.EVENT, msg, self.dedupe_key)
        subject = s.tenant_created(tenant)
        return await self._publish(subject, msg.to_bytes(), mid, msg.EVENT)

    async def publish_repo(self, tenant: str, repo_id: str, event: str, msg: Message) -> PubAck:
        mid = msg_id(tenant, repo_id, msg.EVENT, msg, self.dedupe_key)
        subject = s.repo(tenant, repo_id, event)
        return await self._publish(subject, msg.to_bytes(), mid, msg.EVENT)

    async def dead_letter(
        self,
        service: str,
        subject: str,
        payload: bytes,
        reason: str,
        *,
        num_delivered: int = 1,
        stream_seq: int | None = None,
    ) -> PubAck:
        try:
            text, enc = payload.decode("utf-8"), "utf-8"
            if inputs.text_problem(text) is not None:  # kept whole, readable by every reader
                raise UnicodeDecodeError("utf-8", payload, 0, 1, "NUL or a lone surrogate")
        except UnicodeDecodeError:
            text, enc = base64.b64encode(payload).decode(), "base64"
        letter = DeadLetter(
            service=service,
            subject=subject,
            reason=reason,
            payload=text,
            payload_encoding=enc,  # type: ignore[arg-type]
            num_delivered=num_delivered,
            stream_seq=stream_seq,
        )
        headers = {"Nats-Msg-Id": f"dlq.{service}.{stream_seq}"} if stream_seq else None
        return await self.js.publish(s.dlq(service), letter.to_bytes(), headers=headers)

    async def mint(
        self,
        tenant: str,
        request_id: str,
        *,
        approver: str,
        minted_by: Literal["gateway", "operator"],
        break_glass: bool,
    ) -> MintReply:
        """Ask the guard (``devforge.rpc.guard.mint``) for a one-time approval token."""
        req = MintRequest(
            tenant=tenant,
            request_id=request_id,
            approver=approver,
            minted_by=minted_by,
            break_glass=break_glass,
        )
        msg = await self.nc.request(s.GUARD_MINT, req.to_bytes(), timeout=10)
        return decode(MintReply, msg.data)

    async def search(
        self, tenant: str, query: str, *, k: int = 5, repo: str | None = None, timeout: float = 30
    ) -> SearchReply:
        """Ask the indexer (``devforge.rpc.indexer.search``) for the tenant's code."""
        req = SearchRequest(tenant=tenant, query=query, k=k, repo=repo)
        msg = await self.nc.request(s.INDEXER_SEARCH, req.to_bytes(), timeout=timeout)
        return decode(SearchReply, msg.data)
