"""The tree-sitter grammars the chunker knows, each shipped inside its own wheel (no download at
run time), and which syntax nodes are definitions in each language."""

from __future__ import annotations

import importlib
import posixpath
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from tree_sitter import Language, Parser


@dataclass(frozen=True)
class Grammar:
    name: str
    # node type -> kind of chunk ("function", "class", "method", "type", "statement", ...)
    definitions: dict[str, str]
    # definition node types whose nested definitions become chunks of their own
    containers: frozenset[str]


_FUNCS_JS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "method_definition": "method",
    "variable_declarator": "function",  # only when its value is a function (see chunking)
}
_TS_EXTRA = {
    "interface_declaration": "type",
    "type_alias_declaration": "type",
    "enum_declaration": "type",
    "abstract_class_declaration": "class",
}

GRAMMARS: dict[str, Grammar] = {
    "python": Grammar(
        "python",
        {
            "function_definition": "function",
            "class_definition": "class",
            "decorated_definition": "function",
        },
        frozenset({"class_definition"}),
    ),
    "javascript": Grammar("javascript", _FUNCS_JS, frozenset({"class_declaration"})),
    "typescript": Grammar(
        "typescript",
        {**_FUNCS_JS, **_TS_EXTRA},
        frozenset({"class_declaration", "abstract_class_declaration"}),
    ),
    "tsx": Grammar(
        "tsx",
        {**_FUNCS_JS, **_TS_EXTRA},
        frozenset({"class_declaration", "abstract_class_declaration"}),
    ),
    "go": Grammar(
        "go",
        {
            "function_declaration": "function",
            "method_declaration": "method",
            "type_declaration": "type",
        },
        frozenset(),
    ),
    "java": Grammar(
        "java",
        {
            "class_declaration": "class",
            "interface_declaration": "type",
            "enum_declaration": "type",
            "record_declaration": "class",
            "method_declaration": "method",
            "constructor_declaration": "method",
        },
        frozenset(
            {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"}
        ),
    ),
    "rust": Grammar(
        "rust",
        {
            "function_item": "function",
            "struct_item": "type",
            "enum_item": "type",
            "trait_item": "type",
            "impl_item": "impl",
            "mod_item": "module",
            "macro_definition": "macro",
        },
        frozenset({"impl_item", "trait_item", "mod_item"}),
    ),
    "sql": Grammar(
        "sql",
        {
            "create_table": "table",
            "create_view": "view",
            "create_materialized_view": "view",
            "create_function": "function",
            "create_index": "index",
            "create_type": "type",
            "create_trigger": "trigger",
            "alter_table": "statement",
        },
        frozenset(),
    ),
}

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".sql": "sql",
}


def language_of(path: str) -> str | None:
    """The grammar name for a path, or ``None`` for text the chunker windows."""
    return EXTENSIONS.get(posixpath.splitext(path)[1].lower())


_MODULES = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "sql": ("tree_sitter_sql", "language"),
    "bash": ("tree_sitter_bash", "language"),  # the guard's second reading of commands
}


def _load(name: str) -> Any:
    module, fn = _MODULES[name]
    return getattr(importlib.import_module(module), fn)()


@cache
def language(name: str) -> Language:
    return Language(_load(name))


_LOCAL = threading.local()


def parser(name: str) -> Parser:
    """A parser of the grammar ``name`` for this thread: a parser keeps state between parses,
    so threads never share one (the language object is shared)."""
    parsers: dict[str, Parser] | None = getattr(_LOCAL, "parsers", None)
    if parsers is None:
        parsers = _LOCAL.parsers = {}
    if name not in parsers:
        parsers[name] = Parser(language(name))
    return parsers[name]
