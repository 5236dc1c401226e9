"""``devforge up`` / ``down``: the whole stack on one machine, in the foreground or detached.

Order of start: nats-server (with the generated permissions) -> PostgreSQL -> migrations ->
streams and durables (as the operator) -> services under supervisord -> wait until every service
process reports ready -> write ``stack.json`` (0600). Stop is the reverse. An external bus or
database (``DEVFORGE_NATS_URL`` / ``DEVFORGE_DATABASE_URL``) replaces the embedded one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared import natsauth
from shared.bus.client import Bus
from shared.bus.topology import declare
from shared.db.migrate import upgrade
from shared.decisions import Signer
from shared.embedded import servers, supervise
from shared.embedded.supervise import ProcSpec
from shared.health import pid_alive
from shared.roles import BY_NAME, ENGINEER_ROLES
from shared.settings import Settings

SERVICES: tuple[ProcSpec, ...] = (
    ProcSpec("gateway", "services.gateway", "gateway"),
    ProcSpec("projector", "services.gateway.projector", "projector"),
    ProcSpec("watchdog", "services.gateway.watchdog", "watchdog"),
    ProcSpec("guard", "services.guard", "guard"),
    ProcSpec("lead", "services.lead", "lead"),
    ProcSpec("conductor", "services.engineers", "engineers", ("--conductor",)),
    *(
        ProcSpec(BY_NAME[r].process, "services.engineers", "engineers", ("--role", r))
        for r in ENGINEER_ROLES
    ),
    ProcSpec("qa", "services.qa", "qa"),
    ProcSpec("publisher", "services.publisher", "publisher"),
    ProcSpec("indexer", "services.indexer", "indexer"),
)
PASS_PREFIXES = (
    "DEVFORGE_MODEL",
    "DEVFORGE_SANDBOX_",
    "DEVFORGE_SEMGREP",
    "DEVFORGE_QA_",
    "DEVFORGE_COVERAGE_",
    "DEVFORGE_AGENT_",
    "DEVFORGE_OPENAI_",
    "DEVFORGE_PREPARE_",
    "DEVFORGE_EMBEDDING_",
    "DEVFORGE_VECTOR_",
    "DEVFORGE_PINECONE_",
    "DEVFORGE_INDEX_",
    "DEVFORGE_GITHUB_",
    "DEVFORGE_LANGFUSE_",
    "LANGFUSE_",
    "DEVFORGE_METRICS_",
)
PASS_THROUGH = (
    "OPENROUTER_API_KEY",
    "DEVFORGE_LOG_LEVEL",
    "DEVFORGE_MAX_DELIVER",
    "DEVFORGE_ACK_WAIT",
    "DEVFORGE_RETRY_DELAY",
    "DEVFORGE_OUTAGE_GRACE",
    "DEVFORGE_WATCHDOG_DEADLINE",
    "DEVFORGE_WATCHDOG_INTERVAL",
    "DEVFORGE_APPROVAL_TIMEOUT",
    "DEVFORGE_OIDC_ISSUER",
    "DEVFORGE_OIDC_AUDIENCE",
    "DEVFORGE_OIDC_CLIENT_ID",
    "DEVFORGE_OIDC_JWKS_URL",
    "DEVFORGE_TENANT_CLAIM",
    "DEVFORGE_ROLE_CLAIM",
    "DEVFORGE_SUBMIT_RATE",
    "DEVFORGE_MAX_BODY",
    "DEVFORGE_JOB_BUDGET_USD",
    "DEVFORGE_TENANT_MONTHLY_BUDGET_USD",
)


ROOT = Path(__file__).resolve().parents[2]
DEMO_TRANSCRIPTS = ROOT / "demo" / "transcripts"


class StackError(RuntimeError):
    """Something a person must fix before the stack can start or stop (one readable line)."""


@dataclass
class Paths:
    home: Path

    def __post_init__(self) -> None:
        self.home = self.home.resolve()

    @property
    def stack_json(self) -> Path:
        return self.home / "stack.json"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def pg(self) -> Path:
        return self.home / "pg"

    @property
    def nats(self) -> Path:
        return self.home / "nats"

    @property
    def up_pid(self) -> Path:
        return self.run / "up.pid"

    @property
    def admin_token(self) -> Path:
        return self.home / "admin-token"

    @property
    def ready(self) -> Path:
        return self.run / "ready"


def running_pid(paths: Paths) -> int | None:
    try:
        pid = int(paths.up_pid.read_text())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def read_stack(paths: Paths) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(paths.stack_json.read_text())
    except FileNotFoundError:
        raise StackError(f"no stack is running in {paths.home} (devforge up)") from None
    return data


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    path.chmod(0o600)


def admin_token(paths: Paths) -> str:
    if not paths.admin_token.exists():
        _write_private(paths.admin_token, secrets.token_urlsafe(32))
    return paths.admin_token.read_text().strip()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Stack:
    """A running stack owned by this process (the ``devforge up`` process)."""

    settings: Settings
    scale: dict[str, int] = field(default_factory=dict)
    progress: Callable[[str], None] = print
    paths: Paths = field(init=False)
    nats: servers.NatsProcess | None = None
    supervisor: subprocess.Popen[bytes] | None = None
    extra: list[ProcSpec] = field(default_factory=list)
    model_url: str | None = None  # the embedded model server's, when one runs
    pg_started: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.paths = Paths(self.settings.home)
        unknown = set(self.scale) - {s.name for s in SERVICES}
        if unknown:
            raise StackError(f"--scale names unknown services: {', '.join(sorted(unknown))}")

    def start(self) -> dict[str, Any]:
        p = self.paths
        other = running_pid(p)
        if other is not None and other != os.getpid():
            raise StackError(
                f"a stack is already running from {p.home} (pid {other}); devforge down"
            )
        for d in (p.run, p.logs, p.ready):
            d.mkdir(parents=True, exist_ok=True)
        for stale in p.ready.iterdir():
            stale.unlink()
        p.stack_json.unlink(missing_ok=True)
        _write_private(p.up_pid, str(os.getpid()))
        t0 = time.monotonic()
        creds = natsauth.Credentials.load_or_create(p.nats / "credentials.json")
        nats_base = self._start_nats(creds)
        operator_url = natsauth.url_with_user(nats_base, "operator", creds.password("operator"))
        db_url = self._start_postgres()
        self.progress("migrating the database")
        upgrade(db_url)
        self.progress("declaring streams and durable consumers")
        changes = asyncio.run(self._declare(operator_url))
        for change in changes:
            self.progress(change)
        gateway_port = self.settings.gateway_port or free_port(self.settings.gateway_host)
        gateway_url = f"http://{self.settings.gateway_host}:{gateway_port}"
        self._start_services(creds, nats_base, db_url, gateway_port)
        self._wait_ready()
        self.info = {
            "nats_url": operator_url,
            "gateway_url": gateway_url,
            "database_url": db_url,
            "admin_token_file": str(p.admin_token),
            "pid": os.getpid(),
            "nats_pid": self.nats.proc.pid if self.nats else None,
            "nats_host": self.nats.host if self.nats else None,
            "nats_port": self.nats.port if self.nats else None,
            "nats_config": str(self.nats.config) if self.nats else None,
            "nats_store_dir": str(p.nats / "jetstream"),
            "model_url": self.model_url,
            "services": {s.name: self.scale.get(s.name, 1) for s in SERVICES},
            "started_in_s": round(time.monotonic() - t0, 2),
        }
        _write_private(p.stack_json, json.dumps(self.info, indent=2))
        return self.info

    def _start_nats(self, creds: natsauth.Credentials) -> str:
        if self.settings.nats_url:
            return self.settings.nats_url
        self.progress("starting nats-server")
        store = self.paths.nats / "jetstream"
        text = natsauth.render_config(host="127.0.0.1", port=-1, store_dir=store, creds=creds)
        self.nats = servers.start_nats(self.paths.nats, text, self.paths.logs / "nats.log")
        return self.nats.url

    def _start_postgres(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        self.progress("starting PostgreSQL")
        uri = servers.start_postgres(self.paths.pg)
        self.pg_started = True
        return uri

    async def _declare(self, url: str) -> list[str]:
        bus = await Bus.connect(url, name="devforge-operator")
        try:
            return await declare(
                bus.js,
                max_deliver=self.settings.max_deliver,
                ack_wait=self.settings.ack_wait,
                replicas=self.settings.stream_replicas,
            )
        finally:
            await bus.close()

    def _service_env(self, nats_url: str, db_url: str, gateway_port: int) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DEVFORGE_HOME": str(self.paths.home),
            "DEVFORGE_DATABASE_URL": db_url,
            "DEVFORGE_GATEWAY_HOST": self.settings.gateway_host,
            "DEVFORGE_GATEWAY_PORT": str(gateway_port),
            "DEVFORGE_ADMIN_TOKEN": admin_token(self.paths),
            "DEVFORGE_GUARD_PUBLIC_KEY": Signer.load_or_create(self.settings.key_file()).public_key,
        }
        semgrep, rules = (
            ROOT / ".venv-tools" / "bin" / "semgrep",
            ROOT / "shared" / "qa" / "semgrep.yml",
        )
        if semgrep.exists() and rules.exists():  # QA's semgrep gate (its own virtualenv)
            env.update({"DEVFORGE_SEMGREP": str(semgrep), "DEVFORGE_SEMGREP_RULES": str(rules)})
        env.update({k: os.environ[k] for k in PASS_THROUGH if k in os.environ})
        env.update({k: v for k, v in os.environ.items() if k.startswith(PASS_PREFIXES)})
        # Every process serves /metrics on a port of its own (one fixed port would collide);
        # each writes its address under run/metrics/. DEVFORGE_METRICS_PORT_<SERVICE> pins one.
        env["DEVFORGE_METRICS_PORT"] = "0"
        return env

    def _model_server(self) -> tuple[ProcSpec | None, dict[str, str]]:
        """The embedded replay model server, unless a model endpoint is configured."""
        if os.environ.get("DEVFORGE_MODEL_BASE_URL"):
            return None, {}
        transcripts = Path(os.environ.get("DEVFORGE_TRANSCRIPTS", str(DEMO_TRANSCRIPTS)))
        port = free_port("127.0.0.1")
        url = f"http://127.0.0.1:{port}/v1"
        spec = ProcSpec(
            "model-server",
            "shared.cli.main",
            None,
            ("model-server", str(transcripts.resolve()), "--port", str(port)),
            ready_url=f"{url}/models",
        )
        self.model_url = url
        env = {
            "DEVFORGE_MODEL_BASE_URL": url,
            "DEVFORGE_MODEL_TRANSCRIPT": os.environ.get("DEVFORGE_MODEL_TRANSCRIPT", "demo"),
        }
        return spec, env

    def _start_services(
        self, creds: natsauth.Credentials, nats_base: str, db_url: str, gateway_port: int
    ) -> None:
        programs = []
        model_spec, model_env = self._model_server()
        self.extra = [model_spec] if model_spec else []
        for spec in (*self.extra, *SERVICES):
            env = self._service_env(nats_base, db_url, gateway_port)
            env.update(model_env)
            if spec.identity is not None:
                env["DEVFORGE_NATS_URL"] = natsauth.url_with_user(
                    nats_base, spec.identity, creds.password(spec.identity)
                )
            if spec.identity == "guard":
                env["DEVFORGE_GUARD_KEY_FILE"] = str(self.settings.key_file().resolve())
            programs.append((spec, self.scale.get(spec.name, 1), env))
        conf = self.paths.run / "supervisord.conf"
        _write_private(conf, supervise.render(self.paths.home, programs, Path.cwd()))
        self.progress(f"starting {sum(n for _, n, _ in programs)} service processes")
        self.supervisor = subprocess.Popen(
            supervise.command(conf),
            stdout=subprocess.DEVNULL,
            stderr=open(self.paths.logs / "supervisord.err", "ab"),  # noqa: SIM115
            start_new_session=True,
        )

    def expected(self) -> dict[str, int]:
        return {s.name: self.scale.get(s.name, 1) for s in SERVICES}

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.settings.ready_timeout
        want = self.expected()
        for spec in self.extra:
            assert spec.ready_url is not None
            while not _http_ok(spec.ready_url):
                if time.monotonic() > deadline:
                    raise StackError(f"{spec.name} not ready after {self.settings.ready_timeout} s")
                time.sleep(0.1)
        while time.monotonic() < deadline:
            if self.supervisor is not None and self.supervisor.poll() is not None:
                raise StackError("supervisord exited; see logs/supervisord.log")
            have: dict[str, int] = {}
            for f in self.paths.ready.iterdir():
                name, _, pid = f.name.rpartition(".")
                if pid.isdigit() and pid_alive(int(pid)):
                    have[name] = have.get(name, 0) + 1
            missing = {n: c for n, c in want.items() if have.get(n, 0) < c}
            if not missing:
                return
            time.sleep(0.1)
        raise StackError(
            f"services not ready after {self.settings.ready_timeout:.0f} s: "
            f"{', '.join(sorted(missing))} (see devforge logs)"
        )

    def stop(self) -> None:
        """Stop everything this process started, in reverse order."""
        p = self.paths
        p.stack_json.unlink(missing_ok=True)
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.supervisor.pid, signal.SIGKILL)
        if self.nats is not None:
            self.nats.stop()
        if self.pg_started:
            servers.stop_postgres(p.pg)
        with contextlib.suppress(FileNotFoundError):
            if p.up_pid.read_text().strip() == str(os.getpid()):
                p.up_pid.unlink()

    def wait(self) -> None:
        """Block until SIGINT/SIGTERM or the supervisor dies."""
        stop = {"now": False}

        def _handler(*_: object) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)
        while not stop["now"]:
            if self.supervisor is not None and self.supervisor.poll() is not None:
                self.progress("supervisord exited; stopping the stack")
                return
            time.sleep(0.2)


def detach(settings: Settings, scale: dict[str, int], timeout: float) -> dict[str, Any]:
    """Start ``devforge up`` in the background and wait until it wrote ``stack.json``."""
    paths = Paths(settings.home)
    other = running_pid(paths)
    if other is not None:
        raise StackError(f"a stack is already running from {paths.home} (pid {other})")
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.stack_json.unlink(missing_ok=True)
    args = [sys.executable, "-m", "shared.cli.main", "up"]
    for name, n in scale.items():
        args += ["--scale", f"{name}={n}"]
    log = open(paths.logs / "up.log", "ab")  # noqa: SIM115
    env = {**os.environ, "DEVFORGE_HOME": str(paths.home)}
    proc = subprocess.Popen(
        args,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if paths.stack_json.exists():
            return read_stack(paths)
        if proc.poll() is not None:
            tail = (paths.logs / "up.log").read_text().strip().splitlines()[-1:]
            raise StackError(f"devforge up exited ({proc.returncode}): {' '.join(tail)}")
        time.sleep(0.1)
    proc.terminate()
    raise StackError(f"the stack was not ready after {timeout:.0f} s (see {paths.logs}/up.log)")


def down(settings: Settings, timeout: float = 90.0) -> bool:
    """Stop a running stack; False if none was running."""
    paths = Paths(settings.home)
    pid = running_pid(paths)
    if pid is None:
        _sweep_leftovers(paths)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        _reap(pid)
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        _sweep_leftovers(paths)
    return True


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is this process's child (``detach`` started it): an exited child
    that nobody waits for stays a zombie, which still answers ``kill(pid, 0)``."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _sweep_leftovers(paths: Paths) -> None:
    """After a crashed ``up``: stop what it left behind (supervisord, nats-server, PostgreSQL)."""
    for pidfile in (paths.run / "supervisord.pid",):
        with contextlib.suppress(OSError, ValueError, ProcessLookupError):
            os.killpg(int(pidfile.read_text()), signal.SIGTERM)
    for ports in (paths.nats / "ports").glob("nats-server_*.ports"):
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(ports.stem.rsplit("_", 1)[1]), signal.SIGTERM)
    servers.stop_postgres(paths.pg)
    paths.stack_json.unlink(missing_ok=True)
