"""Run every gate through the guarded tool path (QA proposes steps like any agent) and publish
``qa.passed`` or ``qa.failed`` with the findings."""

from __future__ import annotations

from services.qa import gates
from shared.crew import jobwork
from shared.crew.agent import guarded_tools
from shared.messages import QaFailed, QaPassed, WorkDone
from shared.service import Context


async def on_work_done(ctx: Context, msg: WorkDone) -> None:
    work = await jobwork.load(ctx)
    settings = ctx.service.settings
    enabled = {g.strip() for g in settings.qa_gates.split(",") if g.strip()}
    chosen = gates.gates(settings.coverage_threshold, enabled, work.repo.default_branch)
    results = []
    async with guarded_tools(ctx, work, role="qa", run_key=f"qa-r{msg.round}") as call:
        for gate in chosen:
            ok, output = await call(gate.tool, gate.arguments)
            results.append(gates.judge(gate, ok, output))
    if all(r.passed for r in results):
        await ctx.publish(QaPassed(round=msg.round, commit=msg.commit, gates=results))
    else:
        await ctx.publish(
            QaFailed(
                round=msg.round, commit=msg.commit, gates=results, findings=gates.findings(results)
            )
        )
