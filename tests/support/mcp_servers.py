"""The MCP servers of ``mcp/`` loaded by path (the folder is not a package: ``mcp`` is the SDK)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from mcp_types import CallToolResult, TextContent

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
