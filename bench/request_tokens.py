"""Tokens each request of a role carries before any conversation: its instructions plus its
tools' schemas, counted with ``shared.models.tokens`` (cl100k_base, offline copy), as the
schemas were sent before (the MCP schema less its ``decision`` property, its definitions kept)
and as they are sent now (``toolbox.model_schema``: definitions only the guard's decision used
are dropped). Both measured in the same run from the MCP servers' own ``tools/list``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from typing import Any

from mcp import Client, StdioServerParameters
from shared import tools as registry
from shared.crew import prompts
from shared.crew.toolbox import MCP_DIR, model_schema, search_schema
from shared.models import tokens
from shared.roles import ENGINEER_ROLES

INSTRUCTIONS = {
    "lead": prompts.LEAD,
    **{r: prompts.engineer(r) for r in ENGINEER_ROLES},
}


def _before(schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(schema)
    props = dict(out.get("properties", {}))
    props.pop("decision", None)
    out["properties"] = props
    out["required"] = [r for r in out.get("required", []) if r != "decision"]
    return out


async def _listed() -> dict[str, tuple[str, dict[str, Any]]]:
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as wt:
        env = {"PATH": os.environ.get("PATH", ""), "DEVFORGE_WORKTREE": wt}
        for script in ("fs_server.py", "sandbox_server.py"):
            params = StdioServerParameters(
                command=sys.executable,
                args=[str(MCP_DIR / script)],
                env=env,
                cwd=str(MCP_DIR.parent),
            )
            async with Client(params) as client:
                for t in (await client.list_tools()).tools:
                    found[t.name] = (t.description or t.name, dict(t.input_schema))
    return found


def _tokens(role: str, listed: dict[str, tuple[str, dict[str, Any]]], shape: Any) -> int:
    tools = []
    for name in registry.offered(role):
        if name in listed:
            description, schema = listed[name]
            tools.append({"name": name, "description": description, "parameters": shape(schema)})
        else:  # search_code: run by the agent's own service, no MCP server lists it
            spec = registry.TOOLS[name]
            tools.append(
                {"name": name, "description": spec.description, "parameters": search_schema()}
            )
    return tokens.count(INSTRUCTIONS[role]) + tokens.count(json.dumps(tools))


def run() -> dict[str, Any]:
    listed = asyncio.run(_listed())
    assert set(listed) == {*registry.on_server("fs"), *registry.on_server("sandbox")}
    roles = {}
    for role in INSTRUCTIONS:
        before, after = _tokens(role, listed, _before), _tokens(role, listed, model_schema)
        roles[role] = {"before": before, "after": after, "ratio": round(after / before, 3)}
    return {
        "notes": __doc__.split("\n\n")[0].replace("\n", " ") if __doc__ else "",
        "tokenizer": tokens.TOKENIZER,
        "roles": roles,
    }
