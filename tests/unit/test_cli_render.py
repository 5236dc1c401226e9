"""What the CLI prints, without a stack: approval lines name the request and the command, ids
stay whole in 80 columns, summaries are cut between words, errors are one line."""

from __future__ import annotations

from rich.console import Console

from shared.cli import narrate
from shared.cli.jobs_cmds import ending
from shared.cli.main import one_line
from shared.cli.tables import id_column, new_table
from shared.ids import new_id


def test_the_approval_line_names_the_request_and_the_exact_command() -> None:
    request = new_id()
    body = {"request_id": request, "rule_ids": ["plan.migration"], "reasons": ["a migration"]}
    line = narrate.line("plan.awaiting_approval", body, tenant="acme")
    assert line is not None
    assert f"request {request}" in line
    assert f"`devforge approve {request} --tenant acme`" in line
    step = narrate.line(
        "step.awaiting_approval",
        {**body, "tool": "run_command", "summary": "alembic upgrade head"},
        tenant="acme",
    )
    assert step is not None and f"`devforge approve {request} --tenant acme`" in step
    # without a tenant (the demo's own use) the command still names the request
    bare = narrate.line("plan.awaiting_approval", body)
    assert bare is not None and f"`devforge approve {request}`" in bare


def test_summaries_are_cut_between_words() -> None:
    text = "it is not applied anywhere yet, the engineer said " * 5
    cut = narrate.clip(text, 60)
    assert len(cut) <= 60 and cut.endswith("…")
    assert text.startswith(cut[:-1]) and not cut[:-1].endswith(" ")
    assert cut[:-1].split()[-1] in text.split()
    assert narrate.clip("short", 60) == "short"


def test_ids_stay_whole_in_80_columns() -> None:
    ids = [new_id(), new_id()]
    console = Console(width=80, record=True, force_terminal=False)
    table = new_table()
    id_column(table, "request")
    id_column(table, "job")
    table.add_column("kind", no_wrap=True)
    table.add_column("what", overflow="fold", ratio=1)
    table.add_row(*ids, "plan", "a migration adds items.created_at, " * 6)
    console.print(table)
    text = console.export_text()
    assert all(i in text for i in ids), text
    assert max(len(x) for x in text.splitlines()) <= 80


def test_how_a_tail_ends() -> None:
    assert ending("pr.opened", {"number": 1}) == ("ok", "")
    assert ending("job.failed", {"reason": "boom"}) == ("failed", "boom")
    assert ending("job.cancelled", {"by": "operator:ann"}) == ("cancelled", "by operator:ann")
    assert ending("ticket.rejected", {"reason": "a secret"}) == ("rejected", "a secret")
    status, reason = ending("plan.denied", {"reasons": ["a", "b"]})
    assert status.startswith("rejected") and reason == "a; b"


def test_an_error_is_one_line() -> None:
    assert one_line(RuntimeError("first\n  second\n")) == "first second"
    assert one_line(KeyError()) == "KeyError"
