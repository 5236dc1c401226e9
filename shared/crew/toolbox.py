"""The MCP servers of one agent run (spawned over stdio, one process each) and the tools each
role may use (``shared.tools`` declares which). Agents reach the servers over the MCP protocol
only, never by importing them.

``search_code`` is the one tool no MCP server runs: it is a request to the indexer over the bus
(``devforge.rpc.indexer.search``) from the agent's own service, always for the job's tenant, made
only once the guard's signed decision for exactly that call is verified here, as an MCP server
verifies its own."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_types import TextContent

import shared
from mcp import Client, StdioServerParameters
from shared import tools
from shared.decisions import DecisionInvalid, Verifier
from shared.prepare import PrepareConfig
from shared.roles import BY_NAME
from shared.tools import Server

MCP_DIR = Path(shared.__file__).resolve().parents[1] / "mcp"
SERVER_SCRIPTS: dict[Server, str] = {"fs": "fs_server.py", "sandbox": "sandbox_server.py"}
# The indexer's search for the job's tenant: (query, k) -> the text the model gets back.
Search = Callable[[str, int], Awaitable[str]]
# What the servers may see of the service's environment: nothing secret.
PASSED_ENV = (
    "PATH",
    "LANG",
    "DEVFORGE_SANDBOX_TIMEOUT",
    "DEVFORGE_SANDBOX_MEMORY_MB",
    "DEVFORGE_SANDBOX_TOOLCHAIN",
    "DEVFORGE_SEMGREP",
    "DEVFORGE_SEMGREP_RULES",
    "DEVFORGE_PYTHONS",
)


def model_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema as the model sees it: without the guard's ``decision`` argument
    and without the definitions only that argument used (sent with every request else)."""
    out = dict(schema)
    props = dict(out.get("properties", {}))
    props.pop("decision", None)
    out["properties"] = props
    out["required"] = [r for r in out.get("required", []) if r != "decision"]
    defs = dict(out.pop("$defs", {}))
    kept: dict[str, Any] = {}
    seen = json.dumps(out)
    grew = True
    while grew:  # the definitions the rest refers to, and those they refer to
        grew = False
        for name, definition in defs.items():
            if name not in kept and f'"#/$defs/{name}"' in seen:
                kept[name] = definition
                seen += json.dumps(definition)
                grew = True
    if kept:
        out["$defs"] = kept
    return out


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    schema: dict[str, Any]  # JSON schema of the arguments, without the guard's ``decision``


def search_schema() -> dict[str, Any]:
    """``search_code``'s arguments as the model sees them (no MCP server lists it)."""
    spec = tools.TOOLS["search_code"]
    return {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "what the code does, in words"},
            "k": {
                "type": "integer",
                "minimum": 1,
                "maximum": 20,
                "description": "hits (default 5)",
            },
        },
        "required": [n for n, a in spec.args.items() if a.required],
    }


def _server_env(
    role: str,
    worktree: Path,
    tenant: str,
    job_id: str,
    guard_public_key: str,
    database_url: str,
    prepare: PrepareConfig | None,
    test_command: str | None = None,
) -> dict[str, str]:
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env.update(prepare.to_env() if prepare is not None else {})
    env.update(
        {
            "DEVFORGE_WORKTREE": str(worktree),
            "DEVFORGE_TENANT": tenant,
            "DEVFORGE_JOB_ID": job_id,
            "DEVFORGE_GUARD_PUBLIC_KEY": guard_public_key,
            "DEVFORGE_DATABASE_URL": database_url,
        }
    )
    if not BY_NAME[role].worktree_writable:  # its commands see the worktree read-only
        env["DEVFORGE_WORKTREE_READONLY"] = "1"
    if test_command:  # the tenant's own for this repository
        env["DEVFORGE_TEST_COMMAND"] = test_command
    return env


class Toolbox:
    """Open MCP clients for one job's worktree, with the tool list of one role."""

    def __init__(
        self,
        clients: dict[str, Client],
        specs: dict[str, ToolSpec],
        search: Search | None = None,
        verifier: Verifier | None = None,
        job: tuple[str, str] = ("", ""),
    ) -> None:
        self._clients = clients
        self.specs = specs
        self._search = search
        self._verifier = verifier
        self._job = job  # (tenant, job id): the one job whose decisions this toolbox takes

    def _verified(self, tool: str, arguments: dict[str, Any], decision: dict[str, str]) -> str:
        """Why the guard's decision does not cover this call here ('' when it does): the tools
        run in this process (``search_code``) check it as the MCP servers do."""
        if self._verifier is None:
            return "no guard public key to check the decision with"
        if (decision.get("tenant"), decision.get("job_id")) != self._job:
            return "the decision is for another job"
        try:
            self._verifier.verify(
                tenant=decision["tenant"],
                job_id=decision["job_id"],
                step_id=decision["step_id"],
                tool=tool,
                arguments=arguments,
                signature=decision["signature"],
                signed_key_id=decision["key_id"],
                signed_args_sha256=decision["args_sha256"],
            )
        except (DecisionInvalid, KeyError) as exc:
            return f"the guard's decision does not cover this call ({exc})"
        return ""

    async def execute(
        self, tool: str, arguments: dict[str, Any], decision: dict[str, str]
    ) -> tuple[bool, str]:
        if tool == "search_code" and self._search is not None:
            refused = self._verified(tool, arguments, decision)
            if refused:
                return False, f"refused: {refused}"
            k = arguments.get("k", arguments.get("limit", 5))
            try:
                return True, await self._search(str(arguments["query"]), int(k))
            except (RuntimeError, TimeoutError, OSError) as exc:
                return False, f"error: code search failed: {exc}"
        client = self._clients.get(tool)
        if client is None:
            return False, f"unknown tool {tool!r}"
        result = await client.call_tool(tool, {**arguments, "decision": decision})
        text = "\n".join(b.text for b in result.content if isinstance(b, TextContent))
        return not result.is_error, text


@asynccontextmanager
async def open_toolbox(
    role: str,
    worktree: Path,
    *,
    tenant: str,
    job_id: str,
    guard_public_key: str,
    database_url: str,
    prepare: PrepareConfig | None = None,
    search: Search | None = None,
    test_command: str | None = None,
) -> AsyncIterator[Toolbox]:
    offered = tools.offered(role)
    wanted = (*offered, *tools.setup_tools(role))
    env = _server_env(
        role, worktree, tenant, job_id, guard_public_key, database_url, prepare, test_command
    )
    async with AsyncExitStack() as stack:
        clients: dict[str, Client] = {}
        specs: dict[str, ToolSpec] = {}
        for server, script in SERVER_SCRIPTS.items():
            if not set(tools.on_server(server)) & set(wanted):
                continue
            params = StdioServerParameters(
                command=sys.executable,
                args=[str(MCP_DIR / script)],
                env=env,
                cwd=str(MCP_DIR.parent),
            )
            client = await stack.enter_async_context(Client(params))
            for t in (await client.list_tools()).tools:
                if t.name in wanted:
                    clients[t.name] = client
                if t.name in offered:
                    schema = model_schema(dict(t.input_schema))
                    specs[t.name] = ToolSpec(t.name, t.description or t.name, schema)
        searching = search is not None and "search_code" in offered
        if searching:
            spec = tools.TOOLS["search_code"]
            specs["search_code"] = ToolSpec(spec.name, spec.description, search_schema())
        yield Toolbox(
            clients,
            specs,
            search if searching else None,
            Verifier([k for k in guard_public_key.split(",") if k.strip()]),
            (tenant, job_id),
        )
