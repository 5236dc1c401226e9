"""Commands a container runs: ``serve NAME`` (one service process), ``setup`` (migrations,
streams and durables, once per deploy) and ``health NAME`` (the container's health check).

They read the same environment as every service (``DEVFORGE_NATS_URL``,
``DEVFORGE_DATABASE_URL``, ...); none of them starts a bus or a database of its own.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
import yaml

from shared import kube
from shared.bus.client import Bus
from shared.bus.topology import declare
from shared.cli.nats_cmds import credentials_path, devforge_home
from shared.db.migrate import upgrade
from shared.decisions import Signer
from shared.embedded.stack import SERVICES
from shared.embedded.supervise import ProcSpec
from shared.health import ready_pids
from shared.ids import InvalidId, check_tenant
from shared.natsauth import Credentials, config_users, password_env_var, write_config
from shared.settings import Settings, get_settings

SERVICE_NAMES = tuple(s.name for s in SERVICES)


class DeployError(RuntimeError):
    """A container cannot do its job; the message says what to set or fix."""


def service_spec(name: str) -> ProcSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise DeployError(f"unknown service {name!r}; one of: {', '.join(SERVICE_NAMES)}")


def service_argv(name: str) -> list[str]:
    """The command line of one service process (what supervisord runs in the embedded stack)."""
    spec = service_spec(name)
    return [sys.executable, "-m", spec.module, *spec.args]


def serve(
    name: Annotated[str, typer.Argument(help=f"one of: {', '.join(SERVICE_NAMES)}")],
) -> None:
    """Run one service in this process (a container's command): gateway, guard, lead, ..."""
    argv = service_argv(name)
    sys.stdout.flush()
    os.execv(argv[0], argv)  # the service becomes this process: signals reach it directly


def _need(value: str | None, var: str) -> str:
    if not value:
        raise DeployError(f"{var} is not set")
    return value


async def _declare_streams(settings: Settings, deadline: float) -> list[str]:
    """Declare as the operator; a bus that is still starting (or a cluster still electing its
    leaders) is waited for until ``deadline``."""
    url = _need(settings.nats_url, "DEVFORGE_NATS_URL (the operator's URL)")
    while True:
        try:
            bus = await Bus.connect(url, name="devforge-setup")
            try:
                return await declare(
                    bus.js,
                    max_deliver=settings.max_deliver,
                    ack_wait=settings.ack_wait,
                    replicas=settings.stream_replicas,
                )
            finally:
                await bus.close()
        except Exception as exc:
            if time.monotonic() > deadline:
                why = str(exc) or type(exc).__name__
                raise DeployError(f"cannot declare the streams: {why}") from None
            await asyncio.sleep(1)


def _migrate(settings: Settings, deadline: float) -> None:
    url = _need(settings.database_url, "DEVFORGE_DATABASE_URL")
    while True:
        try:
            upgrade(url)
            return
        except Exception as exc:  # the database may still be starting
            if time.monotonic() > deadline:
                raise DeployError(f"cannot migrate the database: {exc}") from None
            time.sleep(1)


def setup(
    wait: Annotated[float, typer.Option(help="seconds to wait for the bus and database")] = 120,
) -> None:
    """Migrate the database and declare the streams and durables (as the NATS operator)."""
    settings = get_settings()
    deadline = time.monotonic() + wait
    try:
        _migrate(settings, deadline)
        typer.echo("database migrated")
        changes = asyncio.run(_declare_streams(settings, deadline))
    except DeployError as exc:
        typer.echo(f"devforge setup: {exc}", err=True)
        raise typer.Exit(1) from None
    for change in changes:
        typer.echo(change)
    typer.echo(f"streams ready (replicas {settings.stream_replicas})")


def health(
    name: Annotated[str, typer.Argument(help="the service this container runs")],
) -> None:
    """Exit 0 when the service in this container is up and ready, else 1 (a health check)."""
    try:
        service_spec(name)
    except DeployError as exc:
        typer.echo(f"devforge health: {exc}", err=True)
        raise typer.Exit(1) from None
    if not ready_pids(get_settings(), name):
        typer.echo(f"devforge health: {name} is not ready", err=True)
        raise typer.Exit(1)
    typer.echo(f"{name} ready")


# ---- the deployment's secrets --------------------------------------------------------------

deploy_app = typer.Typer(
    name="deploy", help="Secrets for compose and Kubernetes deployments.", no_args_is_help=True
)


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of an env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def deployment_env(
    existing: dict[str, str],
    nats_passwords: dict[str, str],
    public_key: str,
    new_secret: Callable[[], str],
) -> dict[str, str]:
    """Every variable compose and the Kubernetes Secret need. Values already chosen stay (a
    second run must not change the database's password under a running deployment)."""
    env = dict(existing)
    for user, password in nats_passwords.items():
        env.setdefault(password_env_var(user), password)
    env.setdefault("POSTGRES_PASSWORD", new_secret())
    env.setdefault(
        "DEVFORGE_DATABASE_URL",
        f"postgresql://devforge:{env['POSTGRES_PASSWORD']}@postgres:5432/devforge",
    )
    env.setdefault("DEVFORGE_ADMIN_TOKEN", new_secret())
    env["DEVFORGE_GUARD_PUBLIC_KEY"] = public_key
    return env


@deploy_app.command("env")
def env_cmd(
    out: Annotated[Path, typer.Option(help="the env file to write (mode 0600)")] = Path(".env"),
    key_out: Annotated[Path, typer.Option(help="the guard's signing key")] = Path(
        "deploy/secrets/guard.ed25519"
    ),
    tenant: Annotated[
        list[str] | None, typer.Option("--tenant", "-t", help="tenant with an external NATS user")
    ] = None,
) -> None:
    """Write the deployment's secrets: NATS passwords, database password and URL, admin token,
    and the guard's key (its public half in the env file)."""
    tenants = sorted(set(tenant or []))
    try:
        for t in tenants:
            check_tenant(t)
        creds = Credentials.load_or_create(credentials_path(devforge_home()))
        for t in tenants:
            creds.ensure_tenant(t)
        passwords = {u: creds.password(u) for u in config_users(tenants)}
        key_out.parent.mkdir(parents=True, exist_ok=True)
        key_out.parent.chmod(0o700)
        signer = Signer.load_or_create(key_out)
        # Readable by the container's own user (compose bind-mounts the file as it is); the
        # 0700 directory keeps it from everyone else on the host.
        key_out.chmod(0o644)
        env = deployment_env(
            read_env_file(out), passwords, signer.public_key, lambda: secrets.token_urlsafe(24)
        )
    except (InvalidId, ValueError, OSError) as exc:
        typer.echo(f"devforge deploy env: {exc}", err=True)
        raise typer.Exit(1) from None
    head = "# DevForge deployment secrets (devforge deploy env): mode 0600, never commit.\n"
    write_config(out, head + "".join(f"{k}={v}\n" for k, v in env.items()))
    typer.echo(f"wrote {out} ({len(env)} variables) and {key_out}")


MANIFEST_HEADER = (
    "# Generated by `devforge deploy manifests` from the service table (shared/kube.py):\n"
    "# do not edit by hand; change shared/kube.py and run it again.\n"
)


def render_manifests() -> dict[str, str]:
    """File name -> YAML text of every generated file of ``deploy/k8s/base``."""
    files = kube.base_files(SERVICES)
    return {
        name: MANIFEST_HEADER
        + "---\n".join(yaml.safe_dump(o, sort_keys=False, width=100) for o in objects)
        for name, objects in files.items()
    }


@deploy_app.command("manifests")
def manifests_cmd(
    out: Annotated[Path, typer.Option(help="the kustomize base directory")] = Path(
        "deploy/k8s/base"
    ),
) -> None:
    """Write the Kubernetes base manifests (Deployments, KEDA ScaledObjects, PDBs, setup Job)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_manifests().items():
        (out / name).write_text(text)
    typer.echo(f"wrote {len(render_manifests())} files to {out}")
