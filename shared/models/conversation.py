"""A model request as the replay server matches it: the conversation so far and the tools
offered, normalised so that the same job replays for any tenant, job, path or time.

Pure. The normalised form keeps each message's role, text and tool calls (name and arguments),
and each tool's name and parameters. In every text, these are masked (the rules, in order):

- the hits of the code search an engineer's first message carries (a fence with source
  ``code_search``) -> ``<code search hits>``: they come from a vector index whose last digits
  and ties may differ between machines, and a scripted turn does not depend on them
- ISO times (``2026-12-07T17:06:50Z``, with or without zone or fraction) -> ``<time>``
- absolute paths of two or more parts (``/home/x/work/...``) -> ``<path>``
- lowercase ULIDs (job, step and request ids) -> ``<id>``
- memory addresses in Python's reprs (``at 0x7f31f0669800``) -> ``<addr>``
- hex runs of 7 to 64 digits that hold a letter and a digit (commit ids, fence ids) -> ``<hex>``
- durations (``0.53s``, ``12 ms``, ``1.2 seconds``) -> ``<dur>``
- the score of a search hit (``score 0.8123``) -> ``score <n>``

Tenant and repository names reach a conversation only inside paths and branch names, which the
rules above mask. Everything else must match exactly: the ticket, the prompts, the tool schemas,
file contents and test output.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r'<<<UNTRUSTED id=([0-9a-f]+) source="code_search"[^\n]*>>>\n'
            r"[\s\S]*?\n<<<END UNTRUSTED id=\1>>>"
        ),
        "<code search hits>",
    ),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
        ),
        "<time>",
    ),
    (re.compile(r"(?<![\w.~-])/(?:[\w.@+-]+/)+[\w.@+-]*"), "<path>"),
    (re.compile(r"\b[0-9a-hjkmnp-tv-z]{26}\b"), "<id>"),
    (re.compile(r"\b0x[0-9a-f]{6,16}\b"), "<addr>"),
    (re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b"), "<hex>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:s|ms|sec|secs|seconds)\b"), "<dur>"),
    (re.compile(r"\bscore \d+(?:\.\d+)?"), "score <n>"),
)


def mask(text: str) -> str:
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else json.dumps(content, sort_keys=True)


def _message(m: Any) -> dict[str, Any]:
    if not isinstance(m, dict):
        return {"odd": mask(json.dumps(m, sort_keys=True, default=str))}
    out: dict[str, Any] = {"role": m.get("role"), "text": mask(_text(m.get("content")))}
    calls = []
    for tc in m.get("tool_calls") or []:
        fn = tc.get("function") or {} if isinstance(tc, dict) else {}
        calls.append([fn.get("name"), mask(str(fn.get("arguments") or ""))])
    if calls:
        out["calls"] = calls
    return out


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    """The parts of a chat completions request that a recording must match."""
    tools = []
    for t in body.get("tools") or []:
        fn = t.get("function") if isinstance(t, dict) else None
        if isinstance(fn, dict):
            tools.append([fn.get("name"), fn.get("parameters")])
    return {
        "messages": [_message(m) for m in body.get("messages") or []],
        "tools": sorted(tools, key=lambda t: str(t[0])),
    }


def digest(body: dict[str, Any]) -> str:
    data = json.dumps(normalise(body), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _short(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def parts(body: dict[str, Any]) -> list[str]:
    """A short digest of the tools offered, then of each normalised message: to say where two
    requests part ways."""
    norm = normalise(body)
    return [_short(norm["tools"]), *(_short(m) for m in norm["messages"])]


def where_they_differ(body: dict[str, Any], recorded: list[str], limit: int = 160) -> str:
    """In words: the first part of ``body`` that differs from the recorded digests."""
    mine = parts(body)
    if not recorded:
        return "the request differs"
    if mine[0] != recorded[0]:
        return "the tools offered differ from those recorded"
    messages = normalise(body)["messages"]
    for i, (a, b) in enumerate(zip(mine[1:], recorded[1:], strict=False)):
        if a != b:
            m = messages[i]
            text = m.get("text") or json.dumps(m.get("calls", ""))
            said = " ".join(str(text).split())[:limit]
            return f"message {i + 1} ({m.get('role')}) is not the one recorded: {said!r}"
    return f"{len(mine) - 1} message(s) where {len(recorded) - 1} were recorded"


def last_words(body: dict[str, Any], limit: int = 160) -> str:
    """The normalised text of the request's last message, shortened: to say what differs."""
    messages = normalise(body)["messages"]
    if not messages:
        return ""
    last = messages[-1]
    text = last.get("text") or json.dumps(last.get("calls", ""))
    return f"{last.get('role')}: {' '.join(str(text).split())[:limit]}"
