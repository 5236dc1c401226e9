"""The MCP servers of ``mcp/`` loaded by path (the folder is not a package: ``mcp`` is the SDK)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from mcp_types import CallToolResult, TextContent

from shared.decisions import Signer

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"devforge_mcp_{name}", ROOT / "mcp" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fs_server = load("fs_server")
sandbox_server = load("sandbox_server")


def text(result: CallToolResult) -> str:
    return "\n".join(b.text for b in result.content if isinstance(b, TextContent))


Decide = Callable[..., dict[str, str]]


def decide_for(signer: Signer, tenant: str, job: str) -> Decide:
    """Decisions signed by ``signer`` for one job, each with a fresh step id."""
    counter = iter(range(1, 10_000))

    def make(
        tool: str,
        args: dict[str, Any],
        *,
        step: str | None = None,
        by: Signer | None = None,
        **over: str,
    ) -> dict[str, str]:
        step = step or f"s{next(counter)}"
        t, j = over.get("tenant", tenant), over.get("job_id", job)
        sig = (by or signer).sign(t, j, step, tool, args)
        return {
            "tenant": t,
            "job_id": j,
            "step_id": step,
            "signature": sig.signature,
            "key_id": sig.key_id,
            "args_sha256": sig.args_sha256,
        }

    return make
