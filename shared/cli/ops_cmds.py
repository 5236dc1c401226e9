"""Operator commands: the dead-letter stream and the AsyncAPI document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from nats.js.errors import NotFoundError

from shared import asyncapi
from shared import subjects as s
from shared.cli.context import Conn, run

dlq_app = typer.Typer(name="dlq", help="Inspect dead letters.", no_args_is_help=True)


@dlq_app.command("list")
def dlq_list(limit: int = typer.Option(50, "--limit")) -> None:
    """Print the newest dead letters as JSON lines (reason, subject, original payload)."""

    if limit < 1:
        raise ValueError("--limit must be at least 1")

    async def go(c: Conn) -> list[dict[str, Any]]:
        try:
            info = await c.bus.js.stream_info(s.DLQ_STREAM)
        except NotFoundError:
            raise LookupError(
                f"the dead-letter stream {s.DLQ_STREAM} does not exist (is the stack up?)"
            ) from None
        state = info.state
        if not state.messages:  # a fresh stream reports first_seq 0: sequence 0 is no message
            return []
        out = []
        for seq in range(max(state.first_seq, state.last_seq - limit + 1, 1), state.last_seq + 1):
            try:
                msg = await c.bus.js.get_msg(s.DLQ_STREAM, seq)
            except NotFoundError:  # deleted or expired since stream_info
                continue
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
