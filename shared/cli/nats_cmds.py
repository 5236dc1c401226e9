"""``devforge nats``: tenant credentials for the running stack, and a production server config.

``creds --tenant T`` works against the embedded stack described by ``$DEVFORGE_HOME/stack.json``
(``nats_host``, ``nats_port``, ``nats_pid``, ``nats_config``, ``nats_store_dir``); passwords live
in ``$DEVFORGE_HOME/nats/credentials.json`` (mode 0600).

``config`` writes a configuration for a production server that holds no secrets: every password
is an environment reference ``$DEVFORGE_NATS_PASSWORD_<USER>`` (e.g. ``..._GUARD``,
``..._TENANT_ACME``) that nats-server resolves at start and on reload, so the file can be
committed (``deploy/nats/nats.conf``) and the values come from the deployment's secret store.
``--env-file`` writes those variables with the local passwords (mode 0600) for that store.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from shared.ids import InvalidId, check_tenant
from shared.natsauth import (
    TENANT_JS_API_PREFIX,
    Credentials,
    config_users,
    inbox_prefix,
    password_env_var,
    reload_server,
    render_config,
    render_production_config,
    tenant_user,
    url_with_user,
    wait_tenant_ready,
    write_config,
)

nats_app = typer.Typer(
    name="nats", help="NATS bus credentials and server configuration.", no_args_is_help=True
)


class StackError(Exception):
    """The running stack cannot be used (not running, or its description is broken)."""


def devforge_home() -> Path:
    return Path(os.environ.get("DEVFORGE_HOME") or ".devforge")


def credentials_path(home: Path) -> Path:
    return home / "nats" / "credentials.json"


def load_stack(home: Path) -> dict[str, Any]:
    """``stack.json`` of a running stack, or ``StackError`` saying why there is none."""
    path = home / "stack.json"
    try:
        stack: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise StackError(
            f"no stack is running ({path} not found); start one with `devforge up`"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise StackError(f"cannot read {path}: {exc}") from exc
    need = ("nats_host", "nats_port", "nats_pid", "nats_config")
    if not isinstance(stack, dict):
        raise StackError(f"{path} is not a JSON object")
    missing = [k for k in need if k not in stack]
    if missing:
        raise StackError(f"{path} lacks {', '.join(missing)}")
    pid = int(stack["nats_pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise StackError(f"no stack is running (nats-server pid {pid} is gone)") from None
    except PermissionError:
        pass  # exists, owned by someone else
    return dict(stack)


def _server_settings(config_text: str, stack: dict[str, Any]) -> tuple[str, int, Path, bool]:
    """Host, port, store dir and sync mode of the running config: a reload must keep them
    (nats-server refuses to reload a changed listen address or JetStream store)."""
    host = re.search(r'^host: "(.*)"$', config_text, re.M)
    port = re.search(r"^port: (-?\d+)$", config_text, re.M)
    store = re.search(r'^\s*store_dir: (".*")$', config_text, re.M)
    return (
        host.group(1) if host else str(stack["nats_host"]),
        int(port.group(1)) if port else int(stack["nats_port"]),
        Path(json.loads(store.group(1))) if store else Path(stack["nats_store_dir"]),
        bool(re.search(r"^\s*sync_interval: always$", config_text, re.M)),
    )


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host


def issue_tenant_credentials(home: Path, tenant: str, *, timeout: float = 10.0) -> str:
    """Create the tenant's external user if new, bring the running server's config up to date,
    and return ``nats://tenant-<slug>:<password>@host:port``."""
    check_tenant(tenant)
    stack = load_stack(home)
    creds = Credentials.load_or_create(credentials_path(home))
    user, password = creds.ensure_tenant(tenant)
    config_path = Path(stack["nats_config"])
    current = config_path.read_text() if config_path.exists() else ""
    host, port, store_dir, sync_always = _server_settings(current, stack)
    text = render_config(
        host=host, port=port, store_dir=store_dir, creds=creds, sync_always=sync_always
    )
    if write_config(config_path, text):
        reload_server(int(stack["nats_pid"]))
    url = url_with_user(
        f"nats://{_client_host(str(stack['nats_host']))}:{int(stack['nats_port'])}", user, password
    )
    if not asyncio.run(wait_tenant_ready(int(stack["nats_pid"]), url, tenant, timeout=timeout)):
        raise StackError(
            f"nats-server did not accept the credentials of {user} after the reload; "
            "see the nats-server log"
        )
    return url


@nats_app.command("creds")
def creds_cmd(
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant id (slug)")],
) -> None:
    """Print a NATS URL with the tenant's external credentials (created on first use)."""
    try:
        url = issue_tenant_credentials(devforge_home(), tenant)
    except (StackError, InvalidId, ValueError, RuntimeError, OSError) as exc:
        typer.echo(f"devforge nats creds: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(url)
    user = tenant_user(tenant)
    typer.echo(
        f"connect with inbox_prefix={inbox_prefix(user)!r}; JetStream API prefix "
        f"{TENANT_JS_API_PREFIX!r}; name ephemeral consumers (see shared.natsauth)",
        err=True,
    )


@nats_app.command("config")
def config_cmd(
    out: Annotated[Path, typer.Option("--out", help="where to write")] = Path(
        "deploy/nats/nats.conf"
    ),
    host: Annotated[str, typer.Option(help="listen address")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="client port")] = 4222,
    store_dir: Annotated[Path, typer.Option(help="JetStream store")] = Path("/data/jetstream"),
    tenant: Annotated[
        list[str] | None, typer.Option("--tenant", "-t", help="tenant with an external user")
    ] = None,
    monitor_port: Annotated[
        int, typer.Option(help="monitoring port (/healthz, /jsz for KEDA); 0: none")
    ] = 8222,
    tls_cert: Annotated[Path | None, typer.Option(help="server certificate (PEM)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="server key (PEM)")] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(help="also write the password variables (local credentials), mode 0600"),
    ] = None,
) -> None:
    """Write a production nats-server config (sync_interval: always; passwords from env)."""
    tenants = sorted(set(tenant or []))
    try:
        for t in tenants:
            check_tenant(t)
        text = render_production_config(
            host=host,
            port=port,
            store_dir=store_dir,
            tenants=tenants,
            tls_cert=tls_cert,
            tls_key=tls_key,
            monitor_port=monitor_port or None,
        )
    except (InvalidId, ValueError) as exc:
        typer.echo(f"devforge nats config: {exc}", err=True)
        raise typer.Exit(1) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    users = config_users(tenants)
    typer.echo(f"wrote {out}; nats-server needs these environment variables:")
    for user in users:
        typer.echo(f"  {password_env_var(user)}")
    if tls_cert is None:
        typer.echo("warning: no TLS configured; passwords cross the network in clear", err=True)
    if env_file is not None:
        creds = Credentials.load_or_create(credentials_path(devforge_home()))
        for t in tenants:
            creds.ensure_tenant(t)
        lines = [f"{password_env_var(u)}={creds.password(u)}\n" for u in users]
        write_config(env_file, "".join(lines))
        typer.echo(f"wrote {env_file} (mode 0600)")
