"""Split one file into search chunks. Pure: text in, chunks out, no I/O.

Code in a known language is split along its syntax tree: each function, method, class (its
header: signature, docstring, attributes) and type becomes a chunk with its qualified symbol and
the comments right above it; lines outside any definition (imports, constants, scripts) and
every other text file are cut into windows of lines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tree_sitter import Node

from shared.index.languages import GRAMMARS, Grammar, language_of, parser

WINDOW_LINES = 40
MAX_CHUNK_LINES = 80
_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_WRAPPERS = frozenset(
    {"export_statement", "lexical_declaration", "variable_declaration", "statement"}
)
_CLASS_LIKE = frozenset({"class", "impl", "type", "module"})


@dataclass(frozen=True)
class Chunk:
    path: str
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    symbol: str | None
    kind: str  # function, method, class, type, ..., or "window" for plain lines
    language: str
    text: str

    def embed_text(self) -> str:
        """What the model and the keyword index see: where the code lives, then the code."""
        head = f"{self.path} {self.symbol}" if self.symbol else self.path
        return f"{head}\n{self.text}"

    @property
    def content_sha(self) -> str:
        return hashlib.sha256(self.embed_text().encode()).hexdigest()


@dataclass(frozen=True)
class _Span:
    start: int  # 0-based row, inclusive
    end: int  # 0-based row, inclusive
    symbol: str | None
    kind: str


def chunk_file(path: str, text: str) -> list[Chunk]:
    """Chunks of one file, in line order."""
    lines = text.splitlines()
    if not lines:
        return []
    lang = language_of(path)
    spans: list[_Span] = []
    if lang is not None:
        tree = parser(lang).parse(text.encode())
        _walk(tree.root_node, GRAMMARS[lang], "", False, spans)
    covered = [False] * len(lines)
    for sp in spans:
        for row in range(sp.start, min(sp.end, len(lines) - 1) + 1):
            covered[row] = True
    spans += _windows(lines, covered)
    chunks: list[Chunk] = []
    for sp in sorted(spans, key=lambda s: (s.start, s.end)):
        for lo in range(sp.start, sp.end + 1, MAX_CHUNK_LINES):
            hi = min(sp.end, lo + MAX_CHUNK_LINES - 1, len(lines) - 1)
            body = "\n".join(lines[lo : hi + 1])
            if body.strip():
                chunks.append(Chunk(path, lo + 1, hi + 1, sp.symbol, sp.kind, lang or "text", body))
    return chunks


def _windows(lines: list[str], covered: list[bool]) -> list[_Span]:
    """Windows over the runs of lines no definition covers (blank-only windows dropped)."""
    out: list[_Span] = []
    row = 0
    while row < len(lines):
        if covered[row]:
            row += 1
            continue
        start = row
        while row < len(lines) and not covered[row] and row - start < WINDOW_LINES:
            row += 1
        lo, hi = start, row - 1
        while lo < hi and not lines[lo].strip():
            lo += 1
        while hi > lo and not lines[hi].strip():
            hi -= 1
        if any(ch.isalnum() for line in lines[lo : hi + 1] for ch in line):
            out.append(_Span(lo, hi, None, "window"))
    return out


def _walk(node: Node, g: Grammar, scope: str, in_class: bool, out: list[_Span]) -> None:
    for child in node.children:
        kind = g.definitions.get(child.type)
        target = child
        if child.type == "variable_declarator":
            value = child.child_by_field_name("value")
            kind = kind if value is not None and value.type in _FUNCTION_VALUES else None
        elif child.type == "decorated_definition":
            inner = child.child_by_field_name("definition")
            if inner is None:
                kind = None
            else:
                target = inner
                kind = "class" if inner.type == "class_definition" else "function"
        if kind is None:
            _walk(child, g, scope, in_class, out)
            continue
        if kind == "function" and in_class:
            kind = "method"
        name = _name(target)
        symbol = f"{scope}.{name}" if scope and name else (name or scope or None)
        start = _with_comments(child)
        end = _end_row(child)
        nested: list[_Span] = []
        if target.type in g.containers:
            _walk(target, g, symbol or "", kind in _CLASS_LIKE, nested)
        first = min((n.start for n in nested), default=start)
        if first <= start:  # no nested definitions, or all on the first line: one chunk
            out.append(_Span(start, end, symbol, kind))
            continue
        out.append(_Span(start, first - 1, symbol, kind))  # signature, docstring, attributes
        out.extend(nested)


def _name(node: Node) -> str | None:
    named = node.child_by_field_name("name")
    if named is None and node.type == "impl_item":
        named = node.child_by_field_name("type")
    if named is None:
        for c in node.named_children:
            if c.type in ("type_spec", "object_reference", "identifier", "type_identifier"):
                inner = c.child_by_field_name("name") if c.type == "type_spec" else None
                named = inner or c
                break
    if named is None or named.text is None:
        return None
    return named.text.decode("utf-8", "replace")


def _with_comments(node: Node) -> int:
    """The first row of a definition including the comment block right above it (above an
    ``export``, ``const`` or SQL statement that wraps it, too)."""
    start = node.start_point.row
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
        start = min(start, node.start_point.row)
    prev = node.prev_sibling
    while prev is not None and "comment" in prev.type and prev.end_point.row >= start - 1:
        start = prev.start_point.row
        prev = prev.prev_sibling
    return start


def _end_row(node: Node) -> int:
    end = node.end_point
    return end.row - 1 if end.column == 0 and end.row > node.start_point.row else end.row
