"""compose.yaml against the vendored compose-spec schema (check-jsonschema, no Docker engine),
and what the schema cannot say: every service and role runs with its own NATS identity from
the generated permissions, its own scale setting and a health check."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from shared.cli.deploy_cmds import deploy_app, read_env_file
from shared.embedded.stack import SERVICES
from shared.natsauth import password_env_var

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "compose.yaml"
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
CHECK = Path(sys.executable).parent / "check-jsonschema"


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK), "--schemafile", str(SCHEMA), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_matches_the_compose_spec(tmp_path: Path) -> None:
    done = check(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:\n", "    healtcheck:\n", 1))
    done = check(broken)
    assert done.returncode != 0 and "healtcheck" in done.stdout + done.stderr


def test_every_service_and_role_runs_with_its_own_identity(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for spec in SERVICES:
        svc = services[spec.name]
        assert svc["command"] == ["serve", spec.name]
        url = svc["environment"]["DEVFORGE_NATS_URL"]
        assert spec.identity is not None
        assert url.startswith(f"nats://{spec.identity}:${{{password_env_var(spec.identity)}:?")
        assert url.endswith("@nats:4222")
        test = svc["healthcheck"]["test"]
        assert spec.name in " ".join(test) or "readyz" in " ".join(test)
        assert svc["depends_on"]["setup"]["condition"] == "service_completed_successfully"
        replicas = svc.get("deploy", {}).get("replicas")
        if replicas is not None:
            env = f"DEVFORGE_SCALE_{spec.name.upper().replace('-', '_')}"
            assert replicas == f"${{{env}:-1}}", (spec.name, replicas)
    scaled = {n for n, s in services.items() if "replicas" in s.get("deploy", {})}
    assert {"lead", "engineer-backend", "engineer-frontend", "engineer-migration", "qa"} <= scaled
    assert "projector" not in scaled  # applies events in stream order: one instance
    assert services["guard"]["environment"]["DEVFORGE_GUARD_KEY_FILE"] == "/run/secrets/guard_key"
    assert "DEVFORGE_GUARD_KEY_FILE" not in services["qa"]["environment"]


def test_nats_runs_the_generated_permissions_with_jetstream_synced(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    assert "./deploy/nats/nats.conf:/etc/nats/nats.conf:ro" in nats["volumes"]
    assert nats["command"] == ["-c", "/etc/nats/nats.conf"]
    conf = (ROOT / "deploy" / "nats" / "nats.conf").read_text()
    assert "sync_interval: always" in conf
    assert "http_port: 8222" in conf  # the health check reads it
    assert "vector" in compose["services"]["postgres"]["image"]
    setup = compose["services"]["setup"]
    assert setup["command"][0] == "setup"
    assert setup["environment"]["DEVFORGE_NATS_URL"].startswith("nats://operator:")


def test_every_required_variable_is_written_by_deploy_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVFORGE_HOME", str(tmp_path / "home"))
    out = tmp_path / ".env"
    res = CliRunner().invoke(
        deploy_app, ["env", "--out", str(out), "--key-out", str(tmp_path / "k" / "guard.ed25519")]
    )
    assert res.exit_code == 0, res.output
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    assert required, "compose.yaml requires its secrets"
    assert required <= set(read_env_file(out)), required - set(read_env_file(out))
