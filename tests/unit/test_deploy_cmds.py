"""The container commands: ``serve`` (a service by name), ``health`` (its probe) and
``deploy env`` (the deployment's secrets, stable across runs)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.cli.deploy_cmds import deployment_env, read_env_file, service_argv
from shared.cli.main import app
from shared.decisions import Signer
from shared.health import main as health_main
from shared.natsauth import password_env_var


def test_serve_runs_each_service_by_module_and_refuses_unknown_names() -> None:
    assert service_argv("engineer-migration")[1:] == [
        "-m",
        "services.engineers",
        "--role",
        "migration",
    ]
    assert service_argv("conductor")[1:] == ["-m", "services.engineers", "--conductor"]
    assert service_argv("projector")[1:] == ["-m", "services.gateway.projector"]
    res = CliRunner().invoke(app, ["serve", "engineer-devops"])
    assert res.exit_code != 0
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "serve", "engineer-devops"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines() == [done.stderr.strip()]
        and "unknown service 'engineer-devops'" in done.stderr
    )


def test_health_follows_the_ready_file_of_a_live_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.settings import get_settings

    monkeypatch.setenv("DEVFORGE_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert health_main(["guard"]) == 1
        assert "guard is not ready" in capsys.readouterr().err
        ready = tmp_path / "run" / "ready"
        ready.mkdir(parents=True)
        dead = subprocess.Popen(["true"])
        dead.wait()
        (ready / f"guard.{dead.pid}").write_text("")
        (ready / f"guard-x.{os.getpid()}").write_text("")  # another service's file
        assert health_main(["guard"]) == 1
        (ready / f"guard.{os.getpid()}").write_text("")
        assert health_main(["guard"]) == 0
        assert health_main([]) == 2
    finally:
        get_settings.cache_clear()


def test_deploy_env_writes_every_secret_once_and_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVFORGE_HOME", str(tmp_path / "home"))
    out, key = tmp_path / ".env", tmp_path / "secrets" / "guard.ed25519"
    args = ["deploy", "env", "--out", str(out), "--key-out", str(key), "--tenant", "acme"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    first = read_env_file(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert first["DEVFORGE_GUARD_PUBLIC_KEY"] == Signer.load_or_create(key).public_key
    for user in ("operator", "guard", "engineers", "tenant-acme"):
        assert first[password_env_var(user)]
    assert first["POSTGRES_PASSWORD"] in first["DEVFORGE_DATABASE_URL"]
    assert first["POSTGRES_PASSWORD"] != first["DEVFORGE_ADMIN_TOKEN"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0 and read_env_file(out) == first  # a second run changes nothing
    res = CliRunner().invoke(app, ["deploy", "env", "--out", str(out), "--tenant", "Bad Slug"])
    assert res.exit_code == 1


def test_deployment_env_keeps_chosen_values() -> None:
    env = deployment_env({"POSTGRES_PASSWORD": "kept"}, {"guard": "pw"}, "PUB", lambda: "new")
    assert env["POSTGRES_PASSWORD"] == "kept"
    assert env["DEVFORGE_DATABASE_URL"] == "postgresql://devforge:kept@postgres:5432/devforge"
    assert env[password_env_var("guard")] == "pw" and env["DEVFORGE_ADMIN_TOKEN"] == "new"
