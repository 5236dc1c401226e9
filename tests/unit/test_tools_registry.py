"""The tool and role registries are the one declaration: every MCP server's ``tools/list``
equals ``shared.tools``, and everything that names a role derives from ``shared.roles``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from shared import roles, subjects, tools
from shared.crew import conduct, prompts
from shared.executor import Executor, GuardedServer
from shared.messages import PlanTask, TaskPlan, TaskStarted
from shared.policy import plans

ROOT = Path(__file__).resolve().parents[2]
JSON_TYPES = {"string": "str", "integer": "int", "number": "num", "boolean": "bool"}


def _server_module(script: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(script.removesuffix(".py"), ROOT / "mcp" / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _arg_type(schema: dict[str, Any]) -> str:
    """The registry's name for a JSON schema property's type (an optional one is anyOf null)."""
    options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]
    assert len(options) == 1, schema
    kind = options[0]["type"]
    if kind == "array" and options[0]["items"] == {"$ref": "#/$defs/TextEdit"}:
        return "edits"
    if kind == "array":
        assert options[0]["items"] == {"type": "string"}, schema
        return "strs"
    return JSON_TYPES[kind]


@pytest.mark.parametrize("server", ["fs", "sandbox"])
async def test_each_servers_tools_list_equals_the_registry(
    server: tools.Server, tmp_path: Path
) -> None:
    module = _server_module(f"{server}_server.py")
    executor = Executor(verifier=None, tenant=None, job_id=None, store=None)
    built: GuardedServer = module.build_server(executor, tmp_path)
    listed = await built.list_tools()
    assert sorted(t.name for t in listed) == sorted(tools.on_server(server))
    for t in listed:
        spec = tools.TOOLS[t.name]
        assert t.description == spec.description
        props = {k: v for k, v in t.input_schema["properties"].items() if k != "decision"}
        required = set(t.input_schema.get("required", [])) - {"decision"}
        assert {n: _arg_type(p) for n, p in props.items()} == {
            n: a.type for n, a in spec.args.items()
        }, t.name
        assert required == {n for n, a in spec.args.items() if a.required}, t.name
        assert t.annotations is not None
        assert t.annotations.read_only_hint is (not spec.changes_worktree)
        assert t.annotations.idempotent_hint is spec.idempotent


def test_a_tool_not_declared_for_a_server_cannot_be_registered(tmp_path: Path) -> None:
    executor = Executor(verifier=None, tenant=None, job_id=None, store=None)
    server = GuardedServer("fs", executor)

    def run_command(command: str) -> str:  # declared, but for the sandbox server
        return command

    def made_up(path: str) -> str:
        return path

    for fn in (run_command, made_up):
        with pytest.raises(RuntimeError, match="not declared"):
            server.declared(fn)


def test_each_roles_toolbox_follows_its_capabilities() -> None:
    lead, backend, migration, qa = (
        tools.offered(r) for r in ("lead", "backend", "migration", "qa")
    )
    assert "run_command" in lead and "run_tests" in lead and "search_code" in lead
    assert not {"write_file", "str_replace", "delete_file"} & set(lead)
    assert {"write_file", "str_replace", "run_command", "run_tests", "search_code"} <= set(backend)
    assert "run_command" not in migration and "str_replace" in migration
    assert set(qa) == {
        "run_tests",
        "run_coverage",
        "run_lint",
        "run_semgrep",
        "scan_secrets",
        "git_diff",
    }
    assert "prepare_env" not in backend and tools.setup_tools("backend") == ("prepare_env",)
    assert tools.setup_tools("migration") == () and tools.setup_tools("qa") == ()
    assert roles.BY_NAME["lead"].worktree_writable is False
    for name, tool in tools.TOOLS.items():
        assert tools.roles_of(name), f"{name} is given to no role"
        assert tool.writes is None or tool.writes in tool.args
        if tool.writes:
            assert tool.changes_worktree


def test_step_bookkeeping_derives_from_the_registry() -> None:
    from shared.crew import steps

    assert {n for n, t in tools.TOOLS.items() if t.idempotent} == steps.IDEMPOTENT
    assert {n for n, t in tools.TOOLS.items() if t.changes_worktree} == steps.CHANGES_WORKTREE
    assert "str_replace" not in steps.IDEMPOTENT and "run_command" in steps.CHANGES_WORKTREE


def test_role_names_derive_from_the_crew() -> None:
    assert roles.ENGINEER_ROLES == ("backend", "frontend", "migration")
    assert set(plans.KINDS) == {*roles.ENGINEER_ROLES, "qa"}
    assert subjects.task_ready("acme", "01j0000000000000000000000a", "frontend").endswith(
        "task.ready.frontend"
    )
    with pytest.raises(ValueError, match="unknown role"):
        subjects.task_ready("acme", "01j0000000000000000000000a", "lead")
    schema = TaskStarted.model_json_schema()["properties"]["role"]
    assert schema["enum"] == list(roles.ENGINEER_ROLES)
    with pytest.raises(ValidationError, match="'qa' is not an engineer role"):
        TaskStarted.model_validate({"task_id": "t1", "role": "qa"})
    with pytest.raises(ValidationError, match="'lead' is not a task kind"):
        _task("t1", "lead")
    for role in roles.ENGINEER_ROLES:
        assert prompts.engineer(role).startswith(roles.BY_NAME[role].instructions)
    for kind in roles.PLAN_KINDS:
        assert kind in prompts.LEAD


def _task(task_id: str, kind: str) -> PlanTask:
    return PlanTask(id=task_id, kind=kind, title="t", description="d", acceptance_criteria=["a"])


def test_a_fix_round_goes_to_an_engineer_who_can_run_the_tests() -> None:
    def plan(*kinds: str) -> TaskPlan:
        return TaskPlan(summary="s", tasks=[_task(f"t{i}", k) for i, k in enumerate(kinds)])

    assert conduct.fixer(plan("migration")) == "backend"
    assert conduct.fixer(plan("frontend", "migration")) == "frontend"
    assert conduct.fixer(plan("frontend", "backend")) == "backend"
    assert conduct.fixer(plan("qa")) == "backend"


def test_adding_an_engineer_role_is_one_entry() -> None:
    """A crew with one more engineer role (added in a fresh interpreter, before anything else is
    imported) gets its subject, durable, bus permission, plan kind, stack process, Deployment
    and KEDA object, model configuration and toolbox without any other edit."""
    code = """
import json, shared.roles as r
docs = r.CrewRole("docs", "engineer", frozenset({"read", "search", "edit", "run"}),
                  instructions="You are the documentation engineer.", max_replicas=2)
r.CREW = (*r.CREW, docs)
r.BY_NAME = {x.name: x for x in r.CREW}
r.CREW_ROLES = tuple(r.BY_NAME)
r.ENGINEER_ROLES = (*r.ENGINEER_ROLES, "docs")
r.PLAN_KINDS = (*r.ENGINEER_ROLES, "qa")
from shared import kube, natsauth, subjects, tools
from shared.bus.topology import CONSUMERS
from shared.crew import prompts
from shared.embedded.stack import SERVICES
from shared.messages import TaskStarted
from shared.models import config
from shared.policy import plans
print(json.dumps({
    "subject": subjects.task_ready("acme", "01j0000000000000000000000a", "docs"),
    "durable": CONSUMERS["engineer-docs"].filter_subjects,
    "identity": "engineer-docs" in natsauth.IDENTITIES["engineers"].durables,
    "kind": "docs" in plans.KINDS and "docs" in prompts.LEAD,
    "process": [s.name for s in SERVICES if s.name == "engineer-docs"],
    "sizing": kube.SIZES["engineer-docs"].max_replicas,
    "models": config.model_config("docs", {"DEVFORGE_MODEL_BASE_URL": "http://localhost:9"}).models,
    "tools": "str_replace" in tools.offered("docs"),
    "message": TaskStarted.model_json_schema()["properties"]["role"]["enum"][-1],
    "prompt": prompts.engineer("docs").startswith("You are the documentation engineer."),
}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout)
    assert got == {
        "subject": "devforge.acme.job.01j0000000000000000000000a.task.ready.docs",
        "durable": ["devforge.*.job.*.task.ready.docs"],
        "identity": True,
        "kind": True,
        "process": ["engineer-docs"],
        "sizing": 2,
        "models": ["anthropic/claude-sonnet-4.5", "qwen/qwen3-coder", "openai/gpt-4.1"],
        "tools": True,
        "message": "docs",
        "prompt": True,
    }
