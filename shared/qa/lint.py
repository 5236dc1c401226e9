"""ruff's JSON report (``ruff check --output-format json``) as QA's lint gate reads it. Pure.

Only findings on the lines a change adds count: a repository's existing style is not the
change's to fix. Of those, the error classes block (``blocking``: syntax errors, undefined
names, invalid comparisons and statements: the ``E9,F63,F7,F82`` that Python CI templates stop
on); the rest (an unused import, a style rule of the repository's own config) are reported to
the fix round and the reviewer without failing the job. A report that cannot be read raises
ValueError naming why."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["blocking", "findings", "on_changed_lines"]

_BLOCKING = re.compile(r"^(?:E9|F63|F7|F82)\d*$")


_START = re.compile(r"^\[", re.MULTILINE)


def _report(text: str) -> list[Any]:
    """The JSON list in ruff's output, past any warning lines it printed before it."""
    m = _START.search(text)
    try:
        report, _ = json.JSONDecoder().raw_decode(text, m.start() if m else 0)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"ruff output is not JSON: {exc}") from None
    if not isinstance(report, list):
        raise ValueError("ruff output is not a JSON list")
    return report


def _relative(filename: str, root: Path) -> str:
    return os.path.relpath(filename, root) if os.path.isabs(filename) else filename


def on_changed_lines(report_json: str, changed: dict[str, set[int]], root: Path) -> str:
    """The report's findings whose line the change added (paths made relative to ``root``)."""
    report = _report(report_json)
    kept: list[dict[str, Any]] = []
    for item in report:
        try:
            path = _relative(str(item["filename"]), root)
            row = int(item["location"]["row"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("a ruff finding lacks its filename or row") from None
        if row in changed.get(path, ()):
            kept.append({**item, "filename": path})
    return json.dumps(kept)


def findings(report_json: str) -> list[str]:
    """One line per finding: ``path:row code message``; ValueError if unreadable."""
    report = _report(report_json)
    out = []
    for item in report:
        try:
            where = f"{item['filename']}:{item['location']['row']}"
            out.append(f"{where} {item.get('code') or 'syntax'} {item['message']}")
        except (KeyError, TypeError):
            raise ValueError("a ruff finding lacks its filename, row or message") from None
    return out


def blocking(report_json: str) -> list[str]:
    """The findings that fail the gate (same lines as ``findings``)."""
    out = []
    for item, line in zip(_report(report_json), findings(report_json), strict=True):
        code = item.get("code")
        if code is None or _BLOCKING.match(str(code)):
            out.append(line)
    return out
