"""A real Chromium driven by Playwright, for the dashboard's tests.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run``) is used rather than a
browser Playwright would download: the machine reaches only package registries. The flags keep
Chromium off the network it cannot reach anyway (background services, component updates)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, async_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DEVFORGE_TEST_ARTIFACTS", ROOT / "test-artifacts"))
FLAGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's own sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = os.environ.get("DEVFORGE_CHROMIUM") or shutil.which("chromium")
    assert found, "Chromium is needed for the dashboard's tests (apt-get install chromium)"
    return found


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=FLAGS
        )
        try:
            yield browser
        finally:
            await browser.close()


def artifact(name: str) -> Path:
    """Where a screenshot goes (``test-artifacts/dashboard/<name>``)."""
    path = ARTIFACTS / "dashboard" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
