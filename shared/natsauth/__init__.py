"""The NATS bus security model: server-config accounts and users, deny by default.

This package only *generates* configuration (and a few helpers to use it); the embedded stack
and ``devforge nats`` write the file and run or reload ``nats-server``.

Accounts (server-config mode, not operator/JWT mode):
- ``SYS``: the system account, with no users (nobody logs into it).
- ``APP``: the JetStream account holding DEVFORGE_JOBS / DEVFORGE_REGISTRY / DEVFORGE_DLQ, the
  ``operator`` user (no limits: declares streams and durables, runs operator commands) and one
  user per service identity (``SERVICE_IDENTITIES``) with explicit allow lists.
- ``TENANT_<slug>``: one small account per tenant holding only that tenant's external user,
  created lazily (``Credentials.ensure_tenant`` then a config reload).

Why one APP account for all services but an account per tenant: streams are per account and all
tenants share the DEVFORGE_JOBS stream, so the services live with the streams in one account,
separated by per-user allow/deny lists. That is not enough for *untrusted* clients: inside one
account nats-server never checks the reply subject of a publish, so a client allowed to publish
anything (an approval, a JetStream API request) can name *any* subject as its reply and the
server's answer (PubAck, API response - with strings the client chose) is published there and
captured by the stream, e.g. on another tenant's ``step.approved``. In its own account a tenant's
replies stay in that account: APP exports to it only ``devforge.<slug>.>`` and its inbox (stream
exports) and, as services, its two approval subjects, consumer creation filtered on its own
subjects, and flow-control replies. Service imports re-map reply subjects, which closes that hole.
For the (trusted) services the same hole is narrowed by code: responders answer only inbox
replies (``is_inbox_subject``), and decisions carry the guard's signature.

Rules (``model.py`` derives them from ``shared.subjects`` and ``shared.bus.topology``):
- only the guard publishes ticket/plan/step decisions; every other user has them on its deny
  list as well, so no future allow entry can reopen them;
- agents publish their own events and ``step.proposed``; every service publishes ``job.failed``
  and dead letters to ``devforge.dlq.<its name or durable>``;
- only the operator may call the stream API (create/update/delete/purge, message get, direct
  get) or create/delete durables; others' deny lists name these explicitly;
- a service may bind to, pull from and ack only its own durables (``CONSUMER.INFO`` /
  ``CONSUMER.MSG.NEXT`` / ``$JS.ACK`` of those durables), and create ephemeral consumers only
  through ``CONSUMER.CREATE.<stream>.<name>.<filter>`` with a filter inside what it may read;
  the declared durable names are denied in that position, so nobody can re-create or re-filter
  another identity's durable;
- each user subscribes only to its own inbox prefix ``_INBOX_<user>`` (``inbox_prefix``), so
  nobody reads another's PubAcks, pull batches or minted approval tokens;
- ``allow_responses`` only for the guard (``devforge.rpc.guard.>``) and the indexer (search).

How clients connect: ``inbox_prefix=inbox_prefix(user)``; FastStream pull subscribers also
take ``inbox_prefix=f"{inbox_prefix(user)}.".encode()`` (FastStream's default is ``_INBOX.``);
ephemeral consumers are *named* (``subscribe_ordered`` / ``ordered_consumer_config``) so that
nats-py puts the filter in the create subject; tenants use ``nc.jetstream(prefix=
TENANT_JS_API_PREFIX)``. After a reload that adds a tenant, ``wait_tenant_ready``.

Known limits (nats-server cannot express these as subject permissions):
- a tenant (or service) can create a *durable* on its own subjects; it reads nothing new and
  costs storage only;
- a consumer's ``deliver_subject`` is free: a tenant can have the server push copies of its own
  messages onto a non-stream APP subject (e.g. ``devforge.rpc.guard.mint``, with a ``$JS.ACK``
  reply; stream subjects are not captured). Responders must therefore answer only inbox
  replies, and core ``tenant.created`` messages are a hint to re-read the registry, not a fact.
"""

from __future__ import annotations

from shared.natsauth.credentials import Credentials, new_password
from shared.natsauth.model import (
    APP_ACCOUNT,
    GUARD_DECISIONS,
    IDENTITIES,
    OPERATOR,
    SERVICE_IDENTITIES,
    SYSTEM_ACCOUNT,
    TENANT_JS_API_PREFIX,
    Identity,
    Permissions,
    inbox_prefix,
    service_permissions,
    tenant_account,
    tenant_permissions,
    tenant_user,
)
from shared.natsauth.render import (
    config_users,
    password_env_var,
    render_config,
    render_production_config,
)
from shared.natsauth.runtime import (
    is_inbox_subject,
    nats_server_binary,
    ordered_consumer_config,
    reload_server,
    subscribe_ordered,
    tenant_link_ready,
    url_with_user,
    wait_tenant_ready,
    write_config,
)

__all__ = [
    "APP_ACCOUNT",
    "GUARD_DECISIONS",
    "IDENTITIES",
    "OPERATOR",
    "SERVICE_IDENTITIES",
    "SYSTEM_ACCOUNT",
    "TENANT_JS_API_PREFIX",
    "Credentials",
    "Identity",
    "Permissions",
    "config_users",
    "inbox_prefix",
    "is_inbox_subject",
    "nats_server_binary",
    "new_password",
    "ordered_consumer_config",
    "password_env_var",
    "reload_server",
    "render_config",
    "render_production_config",
    "service_permissions",
    "subscribe_ordered",
    "tenant_account",
    "tenant_link_ready",
    "tenant_permissions",
    "tenant_user",
    "url_with_user",
    "wait_tenant_ready",
    "write_config",
]
