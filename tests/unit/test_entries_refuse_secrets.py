"""Secrets are refused before anything is published, and logs are redacted (#21, finding 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

from shared import logging as dlog

ROOT = Path(__file__).resolve().parents[2]
KEY = "AKIA" + "Q7RK2LM9XV4TN8WC"


def test_the_cli_refuses_a_ticket_holding_a_secret_before_connecting(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "ticket", "submit", "--repo", "shop",
         "--title", "t", "--body", f"use {KEY}", "--tenant", "acme"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DEVFORGE_HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "devforge: the ticket holds a secret (aws_access_key_id): remove it and submit again"
    ], done.stderr
    assert KEY not in done.stderr + done.stdout


def test_service_logs_pass_through_the_redaction(capsys: pytest.CaptureFixture[str]) -> None:
    dlog.configure("test-logs")
    structlog.get_logger().info("handled", detail=f"token {KEY} in a message", n=3)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert KEY not in json.dumps(line) and "REDACTED" in line["detail"] and line["n"] == 3
