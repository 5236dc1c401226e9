"""An agent run that takes a job over: recorded results are replayed, a step the dead instance
never executed runs under its own id, one of unknown outcome runs again under a new id when the
tool is idempotent and is reported as interrupted when not; a change reaches the job branch
before its result is recorded."""

from __future__ import annotations

from typing import Any

from shared.bus.history import Entry
from shared.crew.steps import INTERRUPTED, StepWatcher, ToolGateway
from shared.messages import Message, StepProposed, StepResult

APPROVED = {"signature": "sig", "key_id": "k", "args_sha256": "0" * 64}


class FakeBus:
    """Records what is published; answers every proposal with an approval, as a guard would."""

    def __init__(self, watcher: StepWatcher, trail: list[str]) -> None:
        self.watcher, self.trail = watcher, trail

    async def publish_job(self, tenant: str, job_id: str, msg: Message) -> None:
        if isinstance(msg, StepProposed):
            self.trail.append(f"proposed {msg.step_id}")
            self.watcher.decisions[msg.step_id] = ("step.approved", dict(APPROVED))
        elif isinstance(msg, StepResult):
            self.trail.append(f"result {msg.step_id} {msg.ok} {msg.output}")


def _gateway(entries: list[Entry], executed: set[str]) -> tuple[ToolGateway, list[str]]:
    watcher = StepWatcher()
    watcher.seed(entries)
    trail: list[str] = []

    async def execute(
        tool: str, args: dict[str, Any], decision: dict[str, str]
    ) -> tuple[bool, str]:
        trail.append(f"executed {decision['step_id']}")
        return True, f"{tool} done"

    async def was_executed(step_id: str) -> bool:
        return step_id in executed

    async def commit(tool: str, step_id: str) -> None:
        trail.append(f"committed {step_id}")

    gateway = ToolGateway(
        bus=FakeBus(watcher, trail),  # type: ignore[arg-type]
        tenant="t",
        job_id="j",
        agent="backend",
        run_key="backend-t1-r1",
        watcher=watcher,
        execute=execute,
        after_change=commit,
        executed=was_executed,
    )
    return gateway, trail


def _proposed(step: str, tool: str = "write_file") -> list[Entry]:
    return [
        Entry(1, "step.proposed", {"step_id": step, "tool": tool}),
        Entry(2, "step.approved", {"step_id": step, **APPROVED}),
    ]


async def test_a_recorded_result_is_replayed_without_running_the_tool() -> None:
    entries = [
        *_proposed("backend-t1-r1-1"),
        Entry(3, "step.result", {"step_id": "backend-t1-r1-1", "ok": True, "output": "wrote"}),
    ]
    gw, trail = _gateway(entries, executed={"backend-t1-r1-1"})
    assert await gw.run("write_file", {"path": "a"}) == (True, "wrote")
    assert trail == [] and gw.replayed == 1


async def test_a_step_never_executed_runs_under_its_own_id_without_a_second_proposal() -> None:
    gw, trail = _gateway(_proposed("backend-t1-r1-1"), executed=set())
    assert await gw.run("write_file", {"path": "a"}) == (True, "write_file done")
    assert trail == [
        "executed backend-t1-r1-1",
        "committed backend-t1-r1-1",
        "result backend-t1-r1-1 True write_file done",
    ]


async def test_an_idempotent_call_of_unknown_outcome_runs_again_under_a_new_id() -> None:
    gw, trail = _gateway(_proposed("backend-t1-r1-1"), executed={"backend-t1-r1-1"})
    assert await gw.run("write_file", {"path": "a"}) == (True, "write_file done")
    assert trail == [
        "proposed backend-t1-r1-1-again1",
        "executed backend-t1-r1-1-again1",
        "committed backend-t1-r1-1-again1",
        "result backend-t1-r1-1-again1 True write_file done",
    ]
    assert gw.reran == 1
    assert gw.next_step_id() == "backend-t1-r1-2"  # the run's numbering is unchanged


async def test_a_rerun_that_was_itself_interrupted_runs_under_the_next_id() -> None:
    entries = [*_proposed("backend-t1-r1-1"), *_proposed("backend-t1-r1-1-again1")]
    gw, trail = _gateway(entries, executed={"backend-t1-r1-1", "backend-t1-r1-1-again1"})
    await gw.run("write_file", {"path": "a"})
    assert trail[0] == "proposed backend-t1-r1-1-again2" and gw.reran == 2


async def test_a_non_idempotent_call_of_unknown_outcome_is_reported_interrupted() -> None:
    step = "backend-t1-r1-1"
    gw, trail = _gateway(_proposed(step, "run_command"), executed={step})
    assert await gw.run("run_command", {"command": "make"}) == (False, INTERRUPTED)
    assert trail == [f"result {step} False {INTERRUPTED}"]
