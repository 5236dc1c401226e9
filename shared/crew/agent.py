"""An agent run: the Agents SDK driving one role's model through the DevForge provider, with
every tool call going through the guard (``ToolGateway``) to the MCP servers.

Model turns are published as ``model.turn`` (redacted); a run that takes a job over after a
crash is given the recorded turns (no model call) and the recorded tool results (no tool run),
then continues live.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from agents import (
    Agent,
    AgentOutputSchema,
    FunctionTool,
    ModelSettings,
    RunConfig,
    RunErrorHandlerInput,
    Runner,
    Tool,
)
from agents.exceptions import AgentsException, MaxTurnsExceeded
from agents.run_config import CallModelData, ModelInputData

from shared import inputs, private_index, workspace
from shared.crew import codesearch, jobwork
from shared.crew.condense import condense
from shared.crew.metering import JobMeter
from shared.crew.steps import StepWatcher, ToolGateway
from shared.crew.toolbox import Toolbox, open_toolbox
from shared.messages import ModelTurn
from shared.models import (
    DevForgeModelProvider,
    ModelsUnavailableError,
    NotRecordedError,
    TurnRecord,
    tokens,
)
from shared.models.meter import BudgetExceeded
from shared.observe import tracing as otel
from shared.outage import is_outage
from shared.policy.injection import fence_untrusted
from shared.policy.secrets import redact
from shared.prepare import PrepareConfig
from shared.roles import BY_NAME, ENGINEER_ROLES
from shared.service import Context
from shared.tools import TOOLS, setup_tools

Call = Callable[[str, dict[str, Any]], Awaitable[tuple[bool, str]]]


def _committer(work: jobwork.JobWork, role: str) -> Callable[[str, str], Awaitable[None]]:
    """Commit and push each change to the job branch as it happens (squashed for the PR)."""

    async def commit(tool: str, step_id: str) -> None:
        await asyncio.to_thread(
            workspace.commit_and_push, work.workdir, work.job_id, f"{role}: {tool} ({step_id})"
        )

    return commit


WRAP_UP = (
    "You have reached the limit of model turns for this task and cannot call tools any more. "
    "In a few sentences, say what is done (files changed, tests run and their result) and what "
    "is left to do. This account ends your run."
)


def input_filter(
    budget: int, said: dict[str, int]
) -> Callable[[CallModelData[Any]], ModelInputData]:
    """The history as the model is sent it: condensed to ``budget`` tokens (``condense``); the
    same history always gives the same request, so replay and transcripts stay exact. What was
    left out is put in ``said`` for the turn's ``model.turn`` event."""

    def shape(data: CallModelData[Any]) -> ModelInputData:
        given = data.model_data
        said.clear()
        offered = [
            [t.name, getattr(t, "description", ""), getattr(t, "params_json_schema", None)]
            for t in data.agent.tools
        ]
        fixed = (given.instructions or "") + json.dumps(offered)
        done = condense(list(given.input), budget=budget, count=tokens.count, fixed=fixed)
        if not done.changed:
            return given
        said.update(
            outputs=done.masked_outputs,
            arguments=done.masked_arguments,
            tokens_before=done.tokens_before,
            tokens_after=done.tokens_after,
        )
        return ModelInputData(input=done.items, instructions=given.instructions)

    return shape


class AgentFailed(RuntimeError):
    """The agent could not finish (model unavailable, turn limit, malformed behaviour)."""


class AgentStop(AgentFailed):
    """The agent cannot go on and no second attempt would help: the job stops."""


class BudgetStop(AgentStop):
    """A cost budget refused the agent's next model call: the job stops (no retry helps)."""


def redact_obj(value: Any) -> Any:
    if isinstance(value, str):
        return inputs.storable(redact(value))
    if isinstance(value, list):
        return [redact_obj(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_obj(v) for k, v in value.items()}
    return value


@asynccontextmanager
async def _gateway(
    ctx: Context, work: jobwork.JobWork, role: str, run_key: str, task_id: str | None
) -> AsyncIterator[tuple[ToolGateway, Toolbox]]:
    """The agent run's tools, inside the run's span (model and tool spans nest under it)."""
    attrs = {
        "devforge.tenant": ctx.tenant,
        "devforge.job": work.job_id,
        "devforge.role": role,
        "devforge.agent": run_key,
        "devforge.task": task_id,
        "langfuse.trace.name": f"job {work.job_id}",
    }
    with otel.span(f"agent {run_key}", "agent", attrs, job_id=work.job_id):
        async with _tools(ctx, work, role, run_key, task_id) as tools:
            yield tools


@asynccontextmanager
async def _tools(
    ctx: Context, work: jobwork.JobWork, role: str, run_key: str, task_id: str | None
) -> AsyncIterator[tuple[ToolGateway, Toolbox]]:
    settings = ctx.service.settings
    if not settings.guard_public_key or not settings.database_url:
        raise AgentFailed("DEVFORGE_GUARD_PUBLIC_KEY and DEVFORGE_DATABASE_URL are required")
    watcher = StepWatcher()
    watcher.seed(work.entries)
    await watcher.start(ctx.bus, ctx.tenant, work.job_id)

    async def executed(step_id: str) -> bool:
        row = await ctx.pool.fetchval(
            "SELECT 1 FROM executions WHERE tenant_id = $1 AND job_id = $2 AND step_id = $3",
            ctx.tenant,
            work.job_id,
            step_id,
        )
        return row is not None

    try:
        async with open_toolbox(
            role,
            work.workdir,
            tenant=ctx.tenant,
            job_id=work.job_id,
            guard_public_key=settings.guard_public_key,
            database_url=settings.database_url,
            prepare=PrepareConfig(
                envs_dir=settings.home / "envs",
                index_url=settings.prepare_index_url,
                allowlist=tuple(h.strip() for h in settings.prepare_allowlist.split(",") if h),
                npm_registry=settings.prepare_npm_registry,
                repo=work.repo.id,
                timeout_s=settings.prepare_timeout,
                private_index=private_index.load(settings.private_indexes, ctx.tenant),
            ),
            search=codesearch.searcher(ctx.bus, ctx.tenant, work.repo.id),
            test_command=work.repo.test_command,
        ) as toolbox:
            gateway = ToolGateway(
                bus=ctx.bus,
                tenant=ctx.tenant,
                job_id=work.job_id,
                agent=role,
                run_key=run_key,
                watcher=watcher,
                execute=toolbox.execute,
                task_id=task_id,
                decision_timeout=settings.approval_timeout + 60,
                after_change=_committer(work, role) if role in ENGINEER_ROLES else None,
                executed=executed,
            )
            yield gateway, toolbox
            if gateway.replayed or gateway.reran:
                ctx.log.info(
                    "took_over", run=run_key, steps_replayed=gateway.replayed, reran=gateway.reran
                )
    finally:
        await watcher.stop()


@asynccontextmanager
async def guarded_tools(
    ctx: Context, work: jobwork.JobWork, *, role: str, run_key: str
) -> AsyncIterator[Call]:
    """Tool calls without a model (QA's gates): ``await call(tool, args) -> (ok, output)``."""
    async with _gateway(ctx, work, role, run_key, None) as (gateway, _):
        yield gateway.run


def _function_tools(toolbox: Toolbox, gateway: ToolGateway, role: str) -> list[Tool]:
    tools: list[Tool] = []
    only_under = BY_NAME[role].writes_under
    for spec in toolbox.specs.values():

        async def invoke(_: Any, raw: str, name: str = spec.name) -> str:
            try:
                args = json.loads(raw or "{}")
            except ValueError as exc:
                return f"error: the arguments are not valid JSON ({exc}); call the tool again"
            if not isinstance(args, dict):
                return "error: the arguments must be a JSON object"
            if only_under and TOOLS[name].changes_worktree:
                path = str(args.get("path", ""))
                if not path.startswith(only_under):
                    return f"error: the {role} engineer writes only under {only_under}"
            return await gateway.call(name, args)

        tools.append(
            FunctionTool(
                name=spec.name,
                description=spec.description,
                params_json_schema=spec.schema,
                on_invoke_tool=invoke,
                strict_json_schema=False,
            )
        )
    return tools


async def run_agent(
    ctx: Context,
    work: jobwork.JobWork,
    *,
    role: str,
    run_key: str,
    instructions: str,
    input_text: str,
    output_type: type[Any] | None = None,
    task_id: str | None = None,
    round: int = 1,
    search_first: str = "",
) -> Any:
    """Run one agent to its final output; raise AgentFailed with a readable reason.

    An outage of the bus or the database met during the run (in a tool call, which the Agents
    SDK wraps as ``UserError``) is raised as such, not as AgentFailed: the service waits it out
    and runs the handler again, which replays the recorded turns and tool results.
    """
    recorded = sorted(
        (
            e.body
            for e in work.entries
            if e.event == "model.turn" and e.body.get("agent") == run_key
        ),
        key=lambda b: int(b.get("turn", 0)),
    )

    condensed: dict[str, int] = {}

    async def on_turn(rec: TurnRecord) -> None:
        if condensed:
            ctx.log.info("condensed", run=run_key, turn=rec.turn, **condensed)
        await ctx.publish(
            ModelTurn(
                agent=run_key,
                turn=rec.turn,
                model=rec.model,
                task_id=task_id,
                round=round,
                request=redact_obj(rec.messages[-2:]),
                response=redact_obj(rec.to_turn()),
                condensed=dict(condensed) or None,
            )
        )

    # The reason is raised only once the tool servers are closed: raised inside, it would reach
    # the caller wrapped in the MCP clients' exception group instead of as AgentFailed.
    stop_kind: type[AgentStop] = AgentStop
    failure: str | None = None
    stop: str | None = None
    outage: AgentsException | None = None
    async with _gateway(ctx, work, role, run_key, task_id) as (gateway, toolbox):
        provider = DevForgeModelProvider(
            run_key,
            role,
            on_turn=on_turn,
            replayed=[b["response"] for b in recorded],
            transcript=ctx.service.settings.model_transcript,
            meter=JobMeter(ctx, work.job_id, run_key, task_id, round),
        )
        agent: Agent[Any] = Agent(
            name=role,
            instructions=instructions,
            tools=_function_tools(toolbox, gateway, role),
            output_type=(
                AgentOutputSchema(output_type, strict_json_schema=False) if output_type else None
            ),
            model_settings=ModelSettings(parallel_tool_calls=False),
        )
        if "prepare_env" in setup_tools(role):
            ok, output = await gateway.run("prepare_env", {}, step_id=f"{run_key}-env")
            _, refused, why = output.partition("refused: ")
            if not ok and refused:  # the repository's own declaration cannot be met
                stop = f"{role}: the repository's environment cannot be prepared: {why.strip()}"
            elif not ok:  # not fatal: the model is told, and the tests will show what is missing
                input_text += f"\n\nNote: the test environment could not be prepared: {output}"
        hits = ctx.service.settings.agent_search_hits
        if stop is None and search_first and hits and "search_code" in toolbox.specs:
            query = {"query": search_first[:2000], "k": hits}
            ok, found = await gateway.run("search_code", query, step_id=f"{run_key}-search")
            input_text += (
                "\n\nWhat the code search finds for your task (an index of the default branch: "
                "it may lag your worktree):\n"
                + fence_untrusted(found if ok else f"no hits ({found})", "code_search")
            )
        settings = ctx.service.settings
        run_config = RunConfig(
            model_provider=provider,
            tracing_disabled=not provider.tracing,
            call_model_input_filter=input_filter(settings.agent_context_tokens, condensed),
        )
        account: list[str] = []

        async def wrap_up(data: RunErrorHandlerInput[Any]) -> None:
            """At the turn limit: one more turn, tools offered but not callable, for the
            agent's own account of what is done and what is left (the run still fails)."""
            closing = agent.clone(
                output_type=None,
                model_settings=ModelSettings(parallel_tool_calls=False, tool_choice="none"),
            )
            said = await Runner.run(
                closing,
                [*data.run_data.history, {"role": "user", "content": WRAP_UP}],
                max_turns=1,
                run_config=run_config,
            )
            account.append(redact(str(said.final_output or "").strip()))

        if stop is None:  # no model turn when the environment was refused
            try:
                async with provider:
                    result = await Runner.run(
                        agent,
                        input_text,
                        max_turns=settings.agent_max_turns,
                        run_config=run_config,
                        error_handlers={"max_turns": wrap_up},
                    )
            except BudgetExceeded as exc:
                stop, stop_kind = f"{role}: {exc.reason}", BudgetStop
            except NotRecordedError as exc:
                stop, stop_kind = f"{role}: {exc}", AgentStop
            except ModelsUnavailableError as exc:
                failure = f"{role}: no model answered: {exc}"
            except MaxTurnsExceeded:
                said = account[0] if account and account[0] else "(it gave no account)"
                stop = (
                    f"{role}: reached its limit of {settings.agent_max_turns} model turns before "
                    f"finishing; the work so far is on the job branch. Its account: {said[:2000]}"
                )
            except AgentsException as exc:
                if is_outage(exc):  # not the agent's failure: its cause is the bus or the database
                    outage = exc
                else:
                    failure = f"{role}: {type(exc).__name__}: {exc}"
        if recorded and failure is None and outage is None:
            ctx.log.info(
                "replayed_turns", run=run_key, turns=min(len(recorded), provider.next_turn)
            )
    if outage is not None:
        raise outage
    if stop is not None:
        raise stop_kind(stop)
    if failure is not None:
        raise AgentFailed(failure)
    return result.final_output
