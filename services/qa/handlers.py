"""Run every gate through the guarded tool path (QA proposes steps like any agent) and publish
``qa.passed`` or ``qa.failed`` with the findings. When the plan is approved (the engineers start),
QA runs the repository's tests once on the base commit: its baseline, kept per commit
(``shared.qa.baseline``), tells the failures that were there before the change."""

from __future__ import annotations

import asyncio
import contextlib

from services.qa import gates
from shared import repoconf, workspace
from shared.crew import jobwork
from shared.crew.agent import Call, guarded_tools
from shared.messages import GateResult, PlanApproved, QaFailed, QaPassed, WorkDone
from shared.qa import baseline
from shared.qa.baseline import Baseline
from shared.service import Context

MAX_BASE_RERUN = 200  # failures beyond this are not re-run on the base: the gate stays failed


def _enabled(ctx: Context) -> set[str]:
    return {g.strip() for g in ctx.service.settings.qa_gates.split(",") if g.strip()}


async def _base_commit(work: jobwork.JobWork, since: str) -> str | None:
    try:
        return await asyncio.to_thread(workspace.git, work.workdir, "rev-parse", since)
    except workspace.GitError:
        return None


async def on_plan_approved(ctx: Context, msg: PlanApproved) -> None:
    """The baseline of the job's base commit, unless one was recorded for it already."""
    if "tests" not in _enabled(ctx):
        return
    work = await jobwork.load(ctx)
    since = f"origin/{work.repo.default_branch}"
    commit = await _base_commit(work, since)
    if commit is None or await baseline.get(ctx.pool, ctx.tenant, work.repo.id, commit):
        return
    async with guarded_tools(ctx, work, role="qa", run_key="qa-base") as call:
        ok, output = await call("run_tests", {"base": since})
    if ok:
        tally = gates.tally(output)
        found = Baseline(commit, tally, tuple(gates.failed_tests(output)))
        await baseline.put(ctx.pool, ctx.tenant, work.repo.id, found)


async def _against_base(
    call: Call, result: GateResult, output: str, since: str, base: Baseline | None
) -> GateResult:
    """The failures in untouched test files that failed on the base commit too were failing
    before the change: known from the baseline, else run there now."""
    failed = gates.failed_tests(output)
    if not failed or (base is None and len(failed) > MAX_BASE_RERUN):
        return result
    ok, diff = await call("git_diff", {"base": since})
    if not ok:
        return result
    check = gates.to_check_on_base(failed, gates.changed_files(diff))
    if not check:
        return result
    if base is not None:
        return gates.against_base(result, failed, [t for t in check if t in base.failed], output)
    ok, before = await call("run_tests", {"tests": check, "base": since})
    return gates.against_base(result, failed, gates.failed_tests(before) if ok else [], output)


async def on_work_done(ctx: Context, msg: WorkDone) -> None:
    work = await jobwork.load(ctx)
    settings = ctx.service.settings
    enabled = _enabled(ctx)
    threshold = float(settings.coverage_threshold)
    with contextlib.suppress(repoconf.RepoConfigError):  # the tests gate names the problem
        own = repoconf.read(work.workdir).coverage_threshold
        threshold = threshold if own is None else own
    chosen = gates.gates(threshold, enabled, work.repo.default_branch)
    results = []
    since = f"origin/{work.repo.default_branch}"
    commit = await _base_commit(work, since)
    base = await baseline.get(ctx.pool, ctx.tenant, work.repo.id, commit) if commit else None
    async with guarded_tools(ctx, work, role="qa", run_key=f"qa-r{msg.round}") as call:
        for gate in chosen:
            ok, output = await call(gate.tool, gate.arguments)
            result = gates.judge(gate, ok, output)
            if gate.name == "tests" and ok and not result.passed:
                result = await _against_base(call, result, output, since, base)
            if gate.name == "tests" and ok:
                before = base.tally if base is not None else ""
                result = result.model_copy(update={"before": before, "after": gates.tally(output)})
            results.append(result)
    if all(r.passed for r in results):
        await ctx.publish(QaPassed(round=msg.round, commit=msg.commit, gates=results))
    else:
        await ctx.publish(
            QaFailed(
                round=msg.round, commit=msg.commit, gates=results, findings=gates.findings(results)
            )
        )
