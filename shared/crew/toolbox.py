"""The MCP servers of one agent run (spawned over stdio, one process each) and the tools each
role may use. Agents reach the servers over the MCP protocol only, never by importing them.

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
from shared.decisions import DecisionInvalid, Verifier
from shared.prepare import PrepareConfig

MCP_DIR = Path(shared.__file__).resolve().parents[1] / "mcp"
EDIT_TOOLS = ("str_replace", "insert_lines", "undo_edit")
FS_TOOLS = (
    *("read_file", "view_file", "write_file", "list_dir", "delete_file", "search_files"),
    *EDIT_TOOLS,
)
SANDBOX_TOOLS = (
    "run_command",
    "run_tests",
    "run_coverage",
    "run_lint",
    "run_semgrep",
    "scan_secrets",
    "git_status",
    "git_diff",
    "prepare_env",
)
READ_ONLY = ("read_file", "view_file", "list_dir", "search_files")
# Tools the platform calls itself before a role starts, never offered to the model.
SETUP_TOOLS: dict[str, tuple[str, ...]] = {
    "backend": ("prepare_env",),
    "frontend": ("prepare_env",),
}
ROLE_TOOLS: dict[str, tuple[str, ...]] = {
    "lead": READ_ONLY,
    "backend": (*FS_TOOLS, "run_command", "run_tests", "git_status", "git_diff"),
    "frontend": (*FS_TOOLS, "run_command", "run_tests", "git_status", "git_diff"),
    # The migration engineer writes migration files and never applies them: no commands at all.
    "migration": (*READ_ONLY, "write_file", *EDIT_TOOLS),
    "qa": ("run_tests", "run_coverage", "run_lint", "run_semgrep", "scan_secrets", "git_diff"),
}
SEARCH_ROLES = ("lead", "backend", "frontend", "migration")
SEARCH_SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "what the code does, in words"},
        "k": {"type": "integer", "minimum": 1, "maximum": 20, "description": "hits (default 5)"},
    },
    "required": ["query"],
}
SEARCH_DESCRIPTION = (
    "Search the repository's code index by meaning and keywords. Returns the best matching "
    "functions, classes and text windows with their path and lines."
)
# The indexer's search for the job's tenant: (query, k) -> the text the model gets back.
Search = Callable[[str, int], Awaitable[str]]
MIGRATION_DIRS = ("migrations/", "alembic/", "db/migrations/", "migrate/", "sql/")
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


def _server_env(
    worktree: Path,
    tenant: str,
    job_id: str,
    guard_public_key: str,
    database_url: str,
    prepare: PrepareConfig | None,
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
) -> AsyncIterator[Toolbox]:
    offered = ROLE_TOOLS[role]
    wanted = (*offered, *SETUP_TOOLS.get(role, ()))
    env = _server_env(worktree, tenant, job_id, guard_public_key, database_url, prepare)
    servers = {"fs_server.py": FS_TOOLS, "sandbox_server.py": SANDBOX_TOOLS}
    async with AsyncExitStack() as stack:
        clients: dict[str, Client] = {}
        specs: dict[str, ToolSpec] = {}
        for script, tools in servers.items():
            if not set(tools) & set(wanted):
                continue
            params = StdioServerParameters(
                command=sys.executable,
                args=[str(MCP_DIR / script)],
                env=env,
                cwd=str(MCP_DIR.parent),
            )
            client = await stack.enter_async_context(Client(params))
            for t in (await client.list_tools()).tools:
                if t.name not in offered:
                    if t.name in wanted:
                        clients[t.name] = client
                    continue
                if t.name in wanted:
                    schema = model_schema(dict(t.input_schema))
                    specs[t.name] = ToolSpec(t.name, t.description or t.name, schema)
                    clients[t.name] = client
        if search is not None and role in SEARCH_ROLES:
            specs["search_code"] = ToolSpec("search_code", SEARCH_DESCRIPTION, SEARCH_SPEC_SCHEMA)
        yield Toolbox(
            clients,
            specs,
            search if role in SEARCH_ROLES else None,
            Verifier([k for k in guard_public_key.split(",") if k.strip()]),
            (tenant, job_id),
        )
