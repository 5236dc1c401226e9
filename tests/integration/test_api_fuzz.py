# ruff: noqa: F811 (pytest fixtures imported from test_gateway)
"""A bounded fuzz run of the HTTP API from its own OpenAPI document (schemathesis, a fixed seed,
20 examples per operation): no input makes the gateway answer 5xx (#21)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_gateway import stack  # noqa: F401 (the gateway, guard, projector)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("who", ["operator", "dave_acme_admin"])
def test_no_generated_request_gets_a_5xx(stack: dict[str, Any], who: str, tmp_path: Path) -> None:
    token = stack["admin"] if who == "operator" else stack["tokens"][who]
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{stack['url']}/openapi.json",
        "--checks", "not_a_server_error", "--max-examples", "20", "--seed", "20261207",
        "--generation-deterministic", "--phases", "examples,coverage,fuzzing",
        "--header", f"Authorization: Bearer {token}", "--request-timeout", "20",
        "--continue-on-failure", "--generation-allow-x00", "true",
    ]  # fmt: skip
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    tail = done.stdout[-6000:]
    assert done.returncode == 0, tail
    assert "Server error" not in done.stdout, tail
