"""The permission model at run time: URLs, server reload, permission-compatible clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sysconfig
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from shared import subjects as s
from shared.natsauth.model import TENANT_JS_API_PREFIX, inbox_prefix, tenant_user


def url_with_user(url: str, user: str, password: str) -> str:
    """``nats://user:pass@host:port`` from ``url`` (any userinfo in ``url`` is replaced).

    nats-py does not percent-decode userinfo, so user names and passwords are kept URL-safe
    (tokens of ``[a-z0-9-]``, ``secrets.token_urlsafe``); ``quote`` is then a no-op.
    """
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    host = parts.hostname or "127.0.0.1"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme or "nats", netloc, parts.path, parts.query, parts.fragment))


def write_config(path: Path, text: str) -> bool:
    """Atomically write a configuration file readable by its owner only; False if unchanged."""
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return True


def nats_server_binary() -> str | None:
    found = shutil.which("nats-server")
    if found:
        return found
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    return str(candidate) if candidate.exists() else None


def reload_server(pid: int) -> None:
    """Make the nats-server with ``pid`` re-read its configuration file.

    Uses ``nats-server --signal reload=<pid>``; without the binary, sends SIGHUP (the same
    thing). Reloading is asynchronous and a bad file is only logged by the server, so callers
    that need the new users should check they can connect (see ``shared.cli.nats_cmds``).
    """
    if pid <= 0:
        raise ValueError(f"invalid nats-server pid {pid}")
    binary = nats_server_binary()
    if binary is None:
        os.kill(pid, signal.SIGHUP)
        return
    done = subprocess.run(
        [binary, "--signal", f"reload={pid}"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nats-server reload of pid {pid} failed: {done.stderr.strip()}")


def is_inbox_subject(subject: str | None) -> bool:
    """Whether a reply subject is an inbox (``_INBOX...``), never a DevForge or ``$`` subject.

    Responders (the guard on ``devforge.rpc.guard.*``, the indexer on search) must answer only
    such replies: inside one account nats-server does not check a requester's right to the reply
    subject, so a request whose reply names e.g. a decision subject would make the responder
    publish there under its own permissions.
    """
    return bool(subject) and str(subject).split(".", 1)[0].startswith("_INBOX")


def new_consumer_name() -> str:
    return "eph-" + secrets.token_hex(10)


def ordered_consumer_config(
    *, deliver_policy: DeliverPolicy | None = None, opt_start_seq: int | None = None
) -> ConsumerConfig:
    """A config for ``js.subscribe(..., ordered_consumer=True, config=...)`` that the permissions
    accept: a consumer *name* makes nats-py use ``CONSUMER.CREATE.<stream>.<name>.<filter>``,
    the only create form the permissions allow (they bound the filter)."""
    if opt_start_seq is not None and deliver_policy is None:
        deliver_policy = DeliverPolicy.BY_START_SEQUENCE
    return ConsumerConfig(
        name=new_consumer_name(),
        deliver_policy=deliver_policy or DeliverPolicy.ALL,
        opt_start_seq=opt_start_seq,
    )


async def subscribe_ordered(
    js: JetStreamContext,
    subject: str,
    *,
    stream: str,
    cb: Callable[[Msg], Awaitable[None]],
    deliver_policy: DeliverPolicy | None = None,
    opt_start_seq: int | None = None,
    idle_heartbeat: float | None = None,
) -> JetStreamContext.PushSubscription:
    """An ephemeral ordered consumer on ``subject`` that works under DevForge's permissions.

    ``stream`` is required (looking it up needs ``STREAM.NAMES``, which nobody but the operator
    may call). After a gap or missed heartbeats nats-py 2.16 re-creates an ordered consumer
    with its old config; a named consumer then collides with the old one, so each re-creation
    gets a fresh name.
    """
    config = ordered_consumer_config(deliver_policy=deliver_policy, opt_start_seq=opt_start_seq)
    sub = await js.subscribe(
        subject,
        stream=stream,
        cb=cb,
        ordered_consumer=True,
        config=config,
        idle_heartbeat=idle_heartbeat,
    )
    jsi = sub._sub._jsi  # nats-py 2.16 internals (pinned in pyproject)
    if jsi is not None:
        original = jsi.reset_ordered_consumer

        async def reset_with_new_name(sseq: int | None) -> bool:
            jsi._ccreq.name = new_consumer_name()
            return await original(sseq)

        setattr(jsi, "reset_ordered_consumer", reset_with_new_name)  # noqa: B010
    return sub


async def tenant_link_ready(url: str, tenant: str, *, timeout: float = 1.0) -> bool | None:
    """Probe a tenant's account with its credentials in ``url``.

    None: the user cannot log in (yet); False: it can, but its imports from APP do not answer;
    True: the JetStream API import answers (with an error: the probe creates nothing).
    """
    try:
        nc = await nats.connect(
            url,
            allow_reconnect=False,
            connect_timeout=timeout,
            inbox_prefix=inbox_prefix(tenant_user(tenant)),
        )
    except Exception:
        return None
    try:
        stream = s.JOBS_STREAM
        subject = f"{TENANT_JS_API_PREFIX}.CONSUMER.CREATE.{stream}.probe.{s.tenant_all(tenant)}"
        request = {"stream_name": stream, "config": {"name": "probe"}}  # no filter: refused
        await nc.request(subject, json.dumps(request).encode(), timeout=timeout)
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await nc.close()


async def wait_tenant_ready(pid: int, url: str, tenant: str, *, timeout: float = 15.0) -> bool:
    """After a reload that added ``tenant``: wait until its user works end to end.

    nats-server 2.15 wires the service imports of an account that a reload *creates* only on
    the next reload (the user logs in, its stream imports deliver, but requests through its
    service imports - PubAcks, consumer creation - get no answer). So while the user can log in
    but its imports stay silent, reload once more.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        state = await tenant_link_ready(url, tenant)
        if state:
            return True
        if state is False:
            await asyncio.to_thread(reload_server, pid)
        await asyncio.sleep(0.2)
    return False
