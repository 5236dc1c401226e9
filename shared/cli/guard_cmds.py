"""``devforge guard check`` and ``devforge secrets scan``: the policy layer on the command line.

Both apps are plain Typer apps meant to be mounted with ``app.add_typer(guard_app)`` /
``app.add_typer(secrets_app)``. Output is exactly one JSON line on stdout.

- ``guard check --tool NAME --args JSON [--worktree DIR]``: prints
  ``{"verdict", "rule_ids", "reasons"}`` and exits 0 for every verdict; malformed input (not JSON,
  not an object, wrong argument types, missing worktree) gives one ``error: ...`` line on stderr
  and exit code 2.
- ``secrets scan [FILE|-]``: prints ``{"findings": [{"kind","line","start","end","redacted"}]}``;
  exit 0 when clean, 1 when anything was found, 2 on error. Secret values never appear in output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from shared.policy.secrets import scan
from shared.policy.tool_calls import BadToolArguments, assess_tool_call

__all__ = ["guard_app", "secrets_app"]

guard_app = typer.Typer(name="guard", help="Deterministic safety guard.", add_completion=False)
secrets_app = typer.Typer(name="secrets", help="Secret scanning.", add_completion=False)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@guard_app.callback()
def _guard_group() -> None:
    """Deterministic safety guard."""


@secrets_app.callback()
def _secrets_group() -> None:
    """Secret scanning."""


@guard_app.command("check")
def check(
    tool: Annotated[str, typer.Option("--tool", help="MCP tool name, e.g. run_command.")],
    args: Annotated[str, typer.Option("--args", help="Tool arguments as a JSON object.")],
    worktree: Annotated[
        Path | None, typer.Option("--worktree", help="Worktree the call runs in.")
    ] = None,
) -> None:
    """Judge one tool call and print its verdict as JSON."""
    try:
        parsed = json.loads(args)
    except json.JSONDecodeError as exc:
        _fail(f"--args is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(parsed, dict):
        _fail(f"--args must be a JSON object, got {type(parsed).__name__}")
    if worktree is not None and not worktree.is_dir():
        _fail(f"--worktree {str(worktree)!r} is not a directory")
    try:
        verdict = assess_tool_call(tool, parsed, worktree.resolve() if worktree else None)
    except BadToolArguments as exc:
        _fail(str(exc))
    payload = {"verdict": verdict.verdict, "rule_ids": verdict.rule_ids, "reasons": verdict.reasons}
    typer.echo(json.dumps(payload))


@secrets_app.command("scan")
def scan_cmd(
    file: Annotated[str, typer.Argument(help="File to scan, or '-' for stdin.")] = "-",
) -> None:
    """Scan a file (or stdin) for secrets; exit 1 when any are found."""
    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(file).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            _fail(f"cannot read {file!r}: {exc.strerror or exc}")
    findings = [f.model_dump() for f in scan(text)]
    typer.echo(json.dumps({"findings": findings}))
    if findings:
        raise typer.Exit(1)
