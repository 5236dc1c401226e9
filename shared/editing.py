"""The engineers' editor, as pure functions over text: a numbered view with windows, exact-match
replacement that says where it matched (or where it could have), insertion at a line, and a
syntax check of Python before an edit is kept. ``mcp/fs_server.py`` does the file I/O.

A view line is ``<number>\\t<text>`` (the number right-aligned to six places); the text after
the tab is the file's line as it is, so an edit's old text can be copied from a view.
"""

from __future__ import annotations

import ast
import itertools
import re

WINDOW = 200  # lines of a view when no range is asked for and the file is longer
MAX_VIEW_CHARS = 12_000  # a view stays under the tool-output cut
CONTEXT = 3  # lines shown around an edit
_REDACTED = re.compile(r"\[REDACTED:[a-z0-9_-]+\]")


class EditError(ValueError):
    """An edit that is refused; the message says why and what to do instead."""


def numbered(lines: list[str], first: int) -> str:
    """``lines`` (without their newlines) numbered from ``first``."""
    return "\n".join(f"{first + i:6d}\t{line}" for i, line in enumerate(lines))


def view(text: str, start: int | None = None, end: int | None = None) -> str:
    """A numbered window of ``text``: lines ``start``..``end`` (1-based, inclusive), the whole
    text when it is short, else its first ``WINDOW`` lines; a note says what is not shown."""
    lines = text.splitlines()
    total = len(lines)
    if total == 0:
        return "(empty file)"
    lo = max(1, start or 1)
    hi = min(total, end if end is not None else (total if start is None else lo + WINDOW - 1))
    if start is None and end is None and (total > WINDOW or len(text) > MAX_VIEW_CHARS):
        hi = min(total, WINDOW)
    if lo > total:
        raise EditError(f"the file has {total} lines; line {lo} does not exist")
    if hi < lo:
        raise EditError(f"end_line {hi} is before start_line {lo}")
    shown: list[str] = []
    size = 0
    for line in lines[lo - 1 : hi]:
        size += len(line) + 8
        if size > MAX_VIEW_CHARS and shown:
            break
        shown.append(line)
    last = lo + len(shown) - 1
    out = numbered(shown, lo)
    if lo > 1 or last < total:
        out += (
            f"\n[lines {lo}-{last} of {total}; view_file with start_line and end_line "
            "shows other lines]"
        )
    return out


def _lines_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def replace(text: str, old: str, new: str) -> tuple[str, int]:
    """``text`` with the one occurrence of ``old`` replaced by ``new``, and the line where it
    was; refused (``EditError``) when ``old`` occurs zero or several times."""
    if not old:
        raise EditError("old_text is empty: use insert_lines to add text at a line")
    if _REDACTED.search(old):
        raise EditError(
            "old_text contains a redaction marker ([REDACTED:...]): the file holds a secret-like "
            "string there that tools never show; edit around it, or rewrite the lines without it"
        )
    count = text.count(old)
    if count == 1:
        at = text.index(old)
        return text[:at] + new + text[at + len(old) :], _lines_of(text, at)
    if count > 1:
        where: list[str] = []
        i = text.find(old)
        while i >= 0 and len(where) < 10:
            where.append(str(_lines_of(text, i)))
            i = text.find(old, i + 1)
        raise EditError(
            f"old_text matches {count} times (at lines {', '.join(where)}): "
            "include more surrounding lines so that it matches once"
        )
    first = next((ln for ln in old.splitlines() if ln.strip()), "")
    near = [str(n) for n, ln in enumerate(text.splitlines(), 1) if first and first in ln][:10]
    hint = f"; its first line appears at line(s) {', '.join(near)}" if near else ""
    raise EditError(f"old_text was not found (it must match the file exactly){hint}")


def replace_many(text: str, edits: list[tuple[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with every ``(old, new)`` applied together: each ``old`` must match exactly
    once in the original text and no two may overlap (refused with the edit's number
    otherwise). Also the (first line, line count) of each change in the result, in file order."""
    if not edits:
        raise EditError("edits is empty")
    spans: list[tuple[int, int, str]] = []
    for n, (old, new) in enumerate(edits, 1):
        try:
            replace(text, old, new)  # one match, or the reason why not
        except EditError as exc:
            raise EditError(f"edit {n}: {exc}") from None
        at = text.index(old)
        spans.append((at, at + len(old), new))
    spans.sort()
    for (_, a_end, _), (b_start, _, _) in itertools.pairwise(spans):
        if b_start < a_end:
            raise EditError(
                f"two edits overlap at line {_lines_of(text, b_start)}: make them one edit"
            )
    out: list[str] = []
    regions: list[tuple[int, int]] = []
    pos, shift = 0, 0
    for start, end, new in spans:
        out.append(text[pos:start])
        line = _lines_of(text, start) + shift
        regions.append((line, new.count("\n") + 1))
        shift += new.count("\n") - text.count("\n", start, end)
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out), regions


def insert(text: str, line: int, new: str) -> str:
    """``new`` inserted after line ``line`` (0: at the top)."""
    lines = text.splitlines(keepends=True)
    if not 0 <= line <= len(lines):
        raise EditError(f"line must be between 0 and {len(lines)}")
    if lines and line == len(lines) and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = new if new.endswith("\n") or not new else new + "\n"
    return "".join([*lines[:line], block, *lines[line:]])


def excerpt(text: str, first_line: int, new_lines: int) -> str:
    """The edited region with ``CONTEXT`` lines around it, numbered."""
    lines = text.splitlines()
    lo = max(1, first_line - CONTEXT)
    hi = min(len(lines), first_line + max(new_lines, 1) - 1 + CONTEXT)
    return numbered(lines[lo - 1 : hi], lo)


_SCRIPTS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx")


def syntax_error(path: str, text: str) -> str | None:
    """The syntax error ``text`` has as the file ``path`` (None when it parses, or when the
    language is not one checked): Python by its own parser, JavaScript and TypeScript by their
    tree-sitter grammars."""
    if path.endswith((".py", ".pyi")):
        try:
            ast.parse(text, filename=path)
        except SyntaxError as exc:
            return f"line {exc.lineno}: {exc.msg}"
        return None
    if path.endswith(_SCRIPTS):
        from shared.index.languages import language_of, parser

        lang = language_of(path)
        if lang is None:
            return None
        root = parser(lang).parse(text.encode("utf-8", "surrogateescape")).root_node
        if not root.has_error:
            return None
        stack = [root]
        while stack:  # the first node the grammar could not place
            node = stack.pop(0)
            if node.is_error or node.is_missing:
                what = f"missing {node.type}" if node.is_missing else "unexpected text"
                return f"line {node.start_point[0] + 1}: {what}"
            stack = [c for c in node.children if c.has_error or c.is_missing] + stack
        return "the file does not parse"
    return None
