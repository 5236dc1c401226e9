"""The lines a change adds, read from ``git diff -U0``: what QA's gates judge instead of the whole
repository (diff coverage, semgrep findings on changed lines, secrets in added text). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["added_by_file", "changed_from_headers", "changed_lines", "spans"]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def added_by_file(diff: str) -> list[tuple[str, list[int], str]]:
    """(path, new-file line numbers, added text) per file of a ``-U0`` unified diff."""
    out: list[tuple[str, list[int], str]] = []
    hunk = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
    path: str | None = None
    numbers: list[int] = []
    texts: list[str] = []
    old_left = new_left = line_no = 0

    def flush() -> None:
        if path is not None and texts:
            out.append((path, list(numbers), "\n".join(texts)))

    for line in diff.splitlines():
        if old_left or new_left:  # inside a hunk: counted lines, never headers
            if line.startswith("+"):
                numbers.append(line_no)
                texts.append(line[1:])
                line_no += 1
                new_left -= 1
            elif line.startswith("-"):
                old_left -= 1
            elif line.startswith(" "):
                old_left, new_left, line_no = old_left - 1, new_left - 1, line_no + 1
            continue
        if line.startswith("diff --git "):
            flush()
            path, numbers, texts = None, [], []
        elif line.startswith("+++ "):
            target = line[4:].strip('"')
            path = target[2:] if target.startswith("b/") else target
        elif m := hunk.match(line):
            old_left = int(m.group(1) or "1")
            line_no = int(m.group(2))
            new_left = int(m.group(3) or "1")
    flush()
    return out


def changed_lines(diff: str) -> dict[str, set[int]]:
    """Path -> the new file's line numbers that the change added or rewrote."""
    out: dict[str, set[int]] = {}
    for path, numbers, _ in added_by_file(diff):
        if path != "/dev/null":
            out.setdefault(path, set()).update(numbers)
    return out


def changed_from_headers(diff: str) -> dict[str, set[int]]:
    """Path -> added lines, read from a ``-U0`` diff's file and hunk headers alone (with no
    context, a hunk's new range ``+start,count`` is exactly the lines it adds)."""
    out: dict[str, set[int]] = {}
    path: str | None = None
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            path = None
        elif line.startswith("+++ "):
            target = line[4:].strip('"')
            path = None if target == "/dev/null" else target.removeprefix("b/")
        elif path is not None and (m := _HUNK.match(line)):
            start, count = int(m.group(1)), int(m.group(2) or "1")
            if count:
                out.setdefault(path, set()).update(range(start, start + count))
    return out


def spans(lines: Iterable[int]) -> str:
    """``1-3, 7, 9-10``: sorted line numbers as ranges."""
    out: list[str] = []
    run: list[int] = []
    for n in sorted(set(lines)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [n]
    if run:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ", ".join(out)
