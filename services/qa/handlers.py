"""Run every gate through the guarded tool path (QA proposes steps like any agent) and publish
``qa.passed`` or ``qa.failed`` with the findings."""

from __future__ import annotations

import contextlib

from services.qa import gates
from shared import repoconf
from shared.crew import jobwork
from shared.crew.agent import Call, guarded_tools
from shared.messages import GateResult, QaFailed, QaPassed, WorkDone
from shared.service import Context

MAX_BASE_RERUN = 200  # failures beyond this are not re-run on the base: the gate stays failed


async def _against_base(call: Call, result: GateResult, output: str, since: str) -> GateResult:
    """Run the failures in untouched test files on the base commit: those failing there too
    were failing before the change."""
    failed = gates.failed_tests(output)
    if not failed or len(failed) > MAX_BASE_RERUN:
        return result
    ok, diff = await call("git_diff", {"base": since})
    if not ok:
        return result
    check = gates.to_check_on_base(failed, gates.changed_files(diff))
    if not check:
        return result
    ok, before = await call("run_tests", {"tests": check, "base": since})
    return gates.against_base(result, failed, gates.failed_tests(before) if ok else [], output)


async def on_work_done(ctx: Context, msg: WorkDone) -> None:
    work = await jobwork.load(ctx)
    settings = ctx.service.settings
    enabled = {g.strip() for g in settings.qa_gates.split(",") if g.strip()}
    threshold = float(settings.coverage_threshold)
    with contextlib.suppress(repoconf.RepoConfigError):  # the tests gate names the problem
        own = repoconf.read(work.workdir).coverage_threshold
        threshold = threshold if own is None else own
    chosen = gates.gates(threshold, enabled, work.repo.default_branch)
    results = []
    since = f"origin/{work.repo.default_branch}"
    async with guarded_tools(ctx, work, role="qa", run_key=f"qa-r{msg.round}") as call:
        for gate in chosen:
            ok, output = await call(gate.tool, gate.arguments)
            result = gates.judge(gate, ok, output)
            if gate.name == "tests" and ok and not result.passed:
                result = await _against_base(call, result, output, since)
            results.append(result)
    if all(r.passed for r in results):
        await ctx.publish(QaPassed(round=msg.round, commit=msg.commit, gates=results))
    else:
        await ctx.publish(
            QaFailed(
                round=msg.round, commit=msg.commit, gates=results, findings=gates.findings(results)
            )
        )
