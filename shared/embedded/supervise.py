"""Process supervision of the services with supervisord: one program per service, ``numprocs``
for scale, a JSON log file per process, restart on crash."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcSpec:
    """A service process: its program name, module, NATS identity and default scale."""

    name: str
    module: str
    identity: str | None  # its NATS identity; None: it does not use the bus
    args: tuple[str, ...] = ()
    ready_url: str | None = None  # readiness by HTTP instead of a ready file


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


def render(
    home: Path,
    programs: Sequence[tuple[ProcSpec, int, Mapping[str, str]]],
    workdir: Path,
) -> str:
    """The supervisord configuration for ``programs`` (spec, instances, environment)."""
    run, logs = home / "run", home / "logs"
    lines = [
        "[unix_http_server]",
        f"file={run / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={logs / 'supervisord.log'}",
        f"pidfile={run / 'supervisord.pid'}",
        f"childlogdir={logs}",
        "logfile_maxbytes=10MB",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{run / 'supervisor.sock'}",
        "",
    ]
    for spec, count, env in programs:
        command = " ".join([sys.executable, "-m", spec.module, *spec.args])
        environment = ",".join(f"{k}={_quote(v)}" for k, v in sorted(env.items()))
        lines += [
            f"[program:{spec.name}]",
            f"command={command}",
            "process_name=%(program_name)s-%(process_num)d",
            f"numprocs={count}",
            f"directory={workdir}",
            f"environment={environment}",
            "autorestart=true",
            "startsecs=1",
            "startretries=10",
            "stopsignal=TERM",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={logs / '%(program_name)s-%(process_num)d.log'}",
            "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=2",
            "",
        ]
    return "\n".join(lines)


def command(conf: Path) -> list[str]:
    return [sys.executable, "-m", "supervisor.supervisord", "-c", str(conf)]
