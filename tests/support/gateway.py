"""The gateway as its own OS process (``python -m services.gateway``) and a third-party OIDC
issuer (oauth2-mock-server, run with node) for its tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OIDC_DIR = ROOT / "tests" / "oidc"
AUDIENCE = "devforge"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _npm_install() -> None:
    if (OIDC_DIR / "node_modules" / "oauth2-mock-server").is_dir():
        return
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed for the OIDC issuer (apt-get install npm)"
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent"],
        cwd=OIDC_DIR,
        check=True,
        timeout=300,
    )


@contextmanager
def oidc_issuer() -> Iterator[dict[str, Any]]:
    """A running issuer: ``{"issuer": url, "tokens": {name: jwt}}``."""
    _npm_install()
    out = Path(tempfile.mkdtemp(prefix="dft-oidc-")) / "issuer.json"
    node = shutil.which("node")
    assert node is not None, "node is needed for the OIDC issuer"
    proc = subprocess.Popen([node, str(OIDC_DIR / "issuer.mjs"), AUDIENCE, str(out)], cwd=OIDC_DIR)
    try:
        deadline = time.monotonic() + 30
        while not out.exists():
            assert proc.poll() is None, f"the OIDC issuer exited with {proc.returncode}"
            assert time.monotonic() < deadline, "the OIDC issuer did not start"
            time.sleep(0.1)
        yield json.loads(out.read_text())
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(out.parent, ignore_errors=True)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@contextmanager
def process(module: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", module], env=env, cwd=ROOT, stdout=sink, stderr=sink
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def base_env(home: Path, pg_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONUNBUFFERED": "1",
        "DEVFORGE_HOME": str(home),
        "DEVFORGE_DATABASE_URL": pg_url,
        "DEVFORGE_RETRY_DELAY": "0.05",
    }


@contextmanager
def gateway(env: dict[str, str], log: Path) -> Iterator[str]:
    """A gateway process; yields its base URL once ``/readyz`` answers 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full = {**env, "DEVFORGE_GATEWAY_PORT": str(port), "DEVFORGE_GATEWAY_HOST": "127.0.0.1"}
    with process("services.gateway", full, log) as proc:
        deadline = time.monotonic() + 60
        while not _ready(url):
            assert proc.poll() is None, f"the gateway exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"gateway not ready: {log.read_text()[-2000:]}"
            time.sleep(0.1)
        yield url
