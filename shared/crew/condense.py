"""Keeping a long agent run inside its context budget. Pure.

Before each model call the whole history is measured; when it is over the budget, the oldest
tool outputs are masked (replaced by a line naming the tool and how much was left out), then
the long text arguments of the oldest calls (a whole file written), until it fits. The first
message (the task) and the most recent tool outputs are never touched. This is observation
masking, which studies of coding agents found as good as asking a model to summarise and far
cheaper; and it is deterministic: the same history and budget always give the same request, so
a recorded transcript replays it exactly. The history itself is kept whole; only what is sent
is condensed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

KEEP_RECENT = 4  # tool outputs, newest first, never masked
LONG_ARGUMENT = 400  # characters of one argument value above which an old call's is masked


@dataclass(frozen=True)
class Condensed:
    items: list[Any]
    masked_outputs: int = 0
    masked_arguments: int = 0
    tokens_before: int = 0
    tokens_after: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.masked_outputs or self.masked_arguments)


def _output_note(tool: str, size: int) -> str:
    return (
        f"[condensed: this {tool} output ({size} characters) is no longer shown to keep the "
        "conversation within its budget; call the tool again if you need it]"
    )


def _mask_arguments(arguments: str) -> str | None:
    """The call's arguments with each long string value replaced by a note (None: none long)."""
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    changed = False
    for key, value in parsed.items():
        if isinstance(value, str) and len(value) > LONG_ARGUMENT:
            parsed[key] = f"[condensed: {len(value)} characters]"
            changed = True
    return json.dumps(parsed, ensure_ascii=False) if changed else None


def condense(
    items: Sequence[Any],
    *,
    budget: int,
    count: Callable[[str], int],
    fixed: str = "",
    keep_recent: int = KEEP_RECENT,
) -> Condensed:
    """``items`` (Responses-style input items) within ``budget`` tokens where masking can get
    there. ``fixed``: what the request carries besides the items (instructions, tools)."""
    texts = [json.dumps(item, ensure_ascii=False, default=str) for item in items]
    if sum(len(t.encode()) for t in (fixed, *texts)) <= budget:  # a token is one byte or more
        return Condensed(list(items))
    sizes = [count(t) for t in texts]
    total = count(fixed) + sum(sizes)
    if total <= budget:
        return Condensed(list(items), tokens_before=total, tokens_after=total)
    out: list[Any] = [dict(i) if isinstance(i, dict) else i for i in items]
    names = {
        i.get("call_id"): str(i.get("name", "tool"))
        for i in out
        if isinstance(i, dict) and i.get("type") == "function_call"
    }
    outputs = [
        n
        for n, i in enumerate(out)
        if isinstance(i, dict)
        and i.get("type") == "function_call_output"
        and isinstance(i.get("output"), str)
    ]
    calls = [
        n
        for n, i in enumerate(out)
        if isinstance(i, dict)
        and i.get("type") == "function_call"
        and isinstance(i.get("arguments"), str)
    ]
    recent_ids = {out[n].get("call_id") for n in outputs[len(outputs) - keep_recent :]}
    if keep_recent <= 0:
        recent_ids = set()
    # Everything from the first call whose output is recent on stays whole.
    horizon = next(
        (
            n
            for n, i in enumerate(out)
            if isinstance(i, dict) and i.get("call_id") in recent_ids and recent_ids
        ),
        len(out),
    )
    old_outputs = [n for n in outputs if n < horizon]
    old_calls = [n for n in calls if n < horizon]
    before, masked_outputs, masked_arguments = total, 0, 0

    def replace(n: int, item: dict[str, Any]) -> None:
        nonlocal total
        size = count(json.dumps(item, ensure_ascii=False, default=str))
        total += size - sizes[n]
        sizes[n] = size
        out[n] = item

    for n in old_outputs:
        if total <= budget:
            break
        item = out[n]
        text = item["output"]
        note = _output_note(names.get(item.get("call_id"), "tool"), len(text))
        if len(note) < len(text):
            replace(n, {**item, "output": note})
            masked_outputs += 1
    for n in old_calls:
        if total <= budget:
            break
        masked = _mask_arguments(out[n]["arguments"])
        if masked is not None:
            replace(n, {**out[n], "arguments": masked})
            masked_arguments += 1
    return Condensed(out, masked_outputs, masked_arguments, before, total)
