"""Operator commands: the dead-letter stream and the AsyncAPI document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from shared import asyncapi
from shared import subjects as s
from shared.cli.context import Conn, run

dlq_app = typer.Typer(name="dlq", help="Inspect dead letters.", no_args_is_help=True)


@dlq_app.command("list")
def dlq_list(limit: int = typer.Option(50, "--limit")) -> None:
    """Print the newest dead letters as JSON lines (reason, subject, original payload)."""

    async def go(c: Conn) -> list[dict[str, Any]]:
        info = await c.bus.js.stream_info(s.DLQ_STREAM)
        last, first = info.state.last_seq, info.state.first_seq
        out = []
        for seq in range(max(first, last - limit + 1), last + 1):
            msg = await c.bus.js.get_msg(s.DLQ_STREAM, seq)
            if msg.data:
                out.append(json.loads(msg.data))
        return out

    for letter in run(go):
        typer.echo(json.dumps(letter))


def asyncapi_cmd(
    out: Path = typer.Option(None, "--out", "-o", help="write here instead of stdout"),
) -> None:
    """Print (or write) the AsyncAPI document generated from the message models."""
    text = asyncapi.render()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
