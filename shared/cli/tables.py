"""Tables the CLI prints: ids stay whole (never cut to "01m98hphdt..."), so they can be copied
from an 80-column terminal; the other columns wrap instead."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

ID_WIDTH = 26
"""A lowercase ULID (job, request and step ids)."""


def id_column(table: Table, header: str) -> None:
    """A column of ids: never wrapped, never cut."""
    table.add_column(header, no_wrap=True, min_width=ID_WIDTH, overflow="ignore")


def when(value: Any) -> str:
    """A timestamp to the minute, in local time (or the value as text)."""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def new_table() -> Table:
    """A table without side borders: in 80 columns the width goes to the content."""
    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")


def short_when(value: Any) -> str:
    """A timestamp as short as it can be read: "14:02" today, "12-08 14:02" this year."""
    if not isinstance(value, datetime):
        return when(value)
    local, now = value.astimezone(), datetime.now().astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M" if local.year == now.year else "%Y-%m-%d")


def words(status: str) -> str:
    """A status as words ("awaiting plan approval"), so a narrow column wraps between them."""
    return status.replace("_", " ")


def printed_as_json_or_none(rows: list[dict[str, Any]], as_json: bool, empty: str) -> bool:
    """The rows as one JSON list (``--json``), or the line saying there are none: True when
    that was all to print (the caller's table is left)."""
    if as_json:
        print(json.dumps(rows, default=str))
        return True
    if not rows:
        Console(highlight=False).print(empty)
        return True
    return False
