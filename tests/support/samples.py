"""One valid instance of every bus message, for schema and routing tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared import messages as m

LATER = datetime.now(UTC) + timedelta(hours=1)
TASK = m.PlanTask(id="t1", kind="backend", title="Add endpoint", files=["app.py"])
GATES = [m.GateResult(name="tests", passed=True, detail="3 passed")]


def job_samples() -> list[m.Message]:
    return [
        m.TicketSubmitted(repo="shop", title="Add /health", body="Return 200", submitted_by="ann"),
        m.TicketAccepted(),
        m.TicketRejected(reason="secret", findings=[m.FindingSummary(kind="aws", line=2)]),
        m.TicketPlanned(plan=m.TaskPlan(summary="s", tasks=[TASK])),
        m.PlanApproved(),
        m.PlanAwaitingApproval(
            request_id="r1", rule_ids=["plan.migration"], reasons=["x"], expires_at=LATER
        ),
        m.PlanDenied(rule_ids=["x"], reasons=["y"]),
        m.TaskReady(task=TASK),
        m.TaskStarted(task_id="t1", role="backend"),
        m.TaskDone(task_id="t1", role="backend", commit="abc"),
        m.StepProposed(
            step_id="s1", agent="backend", tool="run_command", arguments={"command": "ls"}
        ),
        m.StepApproved(
            step_id="s1", tool="run_command", args_sha256="0" * 64, signature="sig", key_id="k"
        ),
        m.StepDenied(step_id="s1", tool="run_command", rule_ids=["a"], reasons=["b"]),
        m.StepAwaitingApproval(
            step_id="s1",
            request_id="r2",
            tool="run_command",
            summary="git push",
            rule_ids=["a"],
            reasons=["b"],
            expires_at=LATER,
        ),
        m.StepResult(step_id="s1", tool="run_command", ok=True, output="ok"),
        m.ApprovalGranted(request_id="r1", token="t" * 32),
        m.ApprovalRefused(request_id="r1", token="t" * 32, reason="no"),
        m.ModelTurn(agent="lead", turn=0, model="m"),
        m.WorkDone(branch="devforge/x", commit="abc"),
        m.QaPassed(round=1, commit="abc", gates=GATES),
        m.QaFailed(round=1, commit="abc", gates=GATES, findings=["test_x failed"]),
        m.PrOpened(url="http://x/pr/1", number=1, branch="devforge/x", base="main"),
        m.JobFailed(reason="boom", service="guard"),
        m.JobCancelled(by="ann"),
        m.CostUpdated(
            agent="lead", model="m", call_id="c1", input_tokens=1, output_tokens=2, cost_usd=0.1
        ),
    ]
