"""Run every red-team table and print a pass/fail report: ``python -m tests.redteam.run``.
Exits 1 when any case fails."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from tests.redteam.tables import all_tables


def main() -> int:
    console = Console()
    failures = 0
    summary = RichTable(title="red-team summary")
    for col in ("category", "cases", "passed", "failed"):
        summary.add_column(col)
    for table in all_tables():
        report = RichTable(title=table.name, show_lines=False)
        for col in ("case", "expected", "got", "result"):
            report.add_column(col, overflow="fold")
        failed = 0
        for case in table.cases:
            try:
                ok, detail = case.check()
            except Exception as exc:  # a crash is a failure, reported like one
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            failed += not ok
            mark = "[green]PASS[/green]" if ok else "[bold red]FAIL[/bold red]"
            report.add_row(escape(case.name), escape(case.expected), escape(detail), mark)
        console.print(report)
        summary.add_row(
            table.name, str(len(table.cases)), str(len(table.cases) - failed), str(failed)
        )
        failures += failed
    console.print(summary)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
