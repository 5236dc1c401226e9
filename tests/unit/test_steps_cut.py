"""No silent truncation: a long tool output keeps its head and tail with a marker saying how
much was cut and how to see the rest; short outputs and fenced content pass as they are."""

from __future__ import annotations

import json
import re
from typing import Any

from shared.crew.steps import OUTPUT_LIMIT, StepWatcher, ToolGateway, cut
from shared.messages import Message, StepProposed, StepResult

APPROVED = {"signature": "sig", "key_id": "k", "args_sha256": "0" * 64}


def test_a_long_pytest_output_keeps_its_summary_and_says_what_was_cut() -> None:
    lines = [f"tests/test_m{i}.py::test_case_{i} PASSED" for i in range(800)]
    output = "\n".join(["=== test session starts ===", *lines, "1 failed, 799 passed in 9.1s"])
    assert len(output) > 32_000
    shown = cut(output)
    assert len(shown) <= OUTPUT_LIMIT
    assert shown.startswith("=== test session starts ===")
    assert shown.endswith("1 failed, 799 passed in 9.1s")
    m = re.search(r"\n\[\.\.\. (\d+) characters cut here; view_file with start_line", shown)
    assert m is not None
    marker_end = shown.index("...]\n", m.end()) + len("...]\n")
    head, tail = shown[: m.start()], shown[marker_end:]
    assert output.startswith(head) and output.endswith(tail)
    assert len(head) + int(m.group(1)) + len(tail) == len(output)


def test_short_output_is_untouched() -> None:
    text = "cat <<'EOF'\nmerge <<<<<<< ours\nEOF\n"
    assert cut(text) == text


async def test_qa_reads_a_long_output_whole_while_the_model_and_the_log_get_it_cut() -> None:
    """A semgrep report over 16,000 characters: QA's gate parses all of it (``run``), the job's
    log keeps it cut and marked, and the model gets the cut text (``call``)."""
    report = json.dumps(
        {
            "results": [
                {"check_id": f"rule-{i}", "extra": {"severity": "WARNING"}} for i in range(400)
            ]
        }
    )
    assert len(report) > OUTPUT_LIMIT
    watcher = StepWatcher()
    published: list[StepResult] = []

    class Bus:
        async def publish_job(self, tenant: str, job_id: str, msg: Message) -> None:
            if isinstance(msg, StepProposed):
                watcher.decisions[msg.step_id] = ("step.approved", dict(APPROVED))
            elif isinstance(msg, StepResult):
                published.append(msg)

    async def execute(
        tool: str, args: dict[str, Any], decision: dict[str, str]
    ) -> tuple[bool, str]:
        return True, report

    gw = ToolGateway(
        bus=Bus(),  # type: ignore[arg-type]
        tenant="t",
        job_id="j",
        agent="qa",
        run_key="qa-r1",
        watcher=watcher,
        execute=execute,
    )
    ok, whole = await gw.run("run_semgrep", {})
    assert ok and json.loads(whole) == json.loads(report)
    assert published[0].truncated and "characters cut here" in published[0].output
    seen = await gw.call("run_semgrep", {})
    assert "characters cut here" in seen and len(seen) < len(report)
