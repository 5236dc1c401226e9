"""Inline Python (``python -c CODE``) the sandbox can hold without a person. Pure.

The sandbox already has no network, writes only in the worktree and keeps ``.git`` read-only;
running the repository's own code is what its tests do anyway. What a person is still asked
for is code that itself deletes or writes files, spawns processes, opens sockets, loads native
code, or reaches for an escape hatch (``eval``, ``__import__``, dunder attributes, ``getattr``
with a computed name). ``assess`` parses the code (``ast``) and returns the first such use as a
reason, or None when the code uses none: a reproduction such as
``python -c "import calc; print(calc.add(2, 3))"`` runs at once.
"""

from __future__ import annotations

import ast

__all__ = ["assess"]

MAX_CODE = 4000
# Modules whose import alone is the point of the code: processes, files, sockets, native code.
HELD_MODULES = frozenset(
    {
        "os", "posix", "nt", "subprocess", "_posixsubprocess", "shutil", "pty", "pexpect",
        "signal", "resource", "fcntl", "mmap", "socket", "ssl", "select", "selectors",
        "asyncio", "multiprocessing", "concurrent", "threading", "_thread", "ctypes", "cffi",
        "importlib", "imp", "runpy", "code", "codeop", "builtins", "marshal", "pickle",
        "shelve", "dbm", "sqlite3", "urllib", "urllib3", "http", "requests", "httpx",
        "aiohttp", "ftplib", "smtplib", "telnetlib", "xmlrpc", "webbrowser", "tempfile",
        "pathlib", "glob", "io", "zipfile", "tarfile", "gzip", "bz2", "lzma", "sys",
    }
)  # fmt: skip
HELD_CALLS = frozenset(
    {"eval", "exec", "compile", "__import__", "breakpoint", "input", "getattr",
     "setattr", "delattr", "globals", "locals", "vars", "memoryview"}
)  # fmt: skip
# Attribute names that write, delete or run, whatever object they hang on.
HELD_ATTRIBUTES = frozenset(
    {"system", "popen", "spawn", "fork", "kill", "remove", "unlink", "rmdir", "rmtree",
     "removedirs", "rename", "renames", "write_text", "write_bytes", "touch", "mkdir",
     "makedirs", "chmod", "chown", "symlink", "symlink_to", "link", "hardlink_to", "truncate",
     "connect", "bind", "listen", "urlopen", "load_library", "LoadLibrary", "dlopen"}
)  # fmt: skip
ALLOWED_DUNDERS = frozenset({"__name__", "__version__", "__doc__", "__file__", "__class__"})


def assess(code: str) -> str | None:
    """None when ``code`` may run without a person; else why it is held."""
    if len(code) > MAX_CODE:
        return f"inline code longer than {MAX_CODE} characters"
    try:
        tree = ast.parse(code, mode="exec")
    except (SyntaxError, ValueError) as exc:
        return f"inline code that does not parse as Python ({exc.__class__.__name__})"
    for node in ast.walk(tree):
        reason = _held(node)
        if reason is not None:
            return reason
    return None


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _open(call: ast.Call) -> str | None:
    """``open`` reads a file named literally beneath the working directory; nothing else."""
    path = _literal(call.args[0]) if call.args else None
    mode_node = call.args[1] if len(call.args) > 1 else None
    for kw in call.keywords:
        if kw.arg == "mode":
            mode_node = kw.value
        elif kw.arg in ("file", "opener"):
            return "it opens a file other than by a literal path"
    mode = "r" if mode_node is None else _literal(mode_node)
    if path is None or path.startswith(("/", "~")) or ".." in path.split("/"):
        return "it opens a file not named literally beneath the worktree"
    if mode is None or set(mode) - set("rbt"):
        return f"it opens {path!r} for writing"
    return None


def _held(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in HELD_MODULES:
                return f"it imports {alias.name}"
    elif isinstance(node, ast.ImportFrom):
        top = (node.module or "").split(".")[0]
        if node.level or top in HELD_MODULES:
            return f"it imports from {node.module or '.'}"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in HELD_CALLS:
            return f"it calls {node.func.id}()"
        if node.func.id == "open":
            return _open(node)
    elif isinstance(node, ast.Attribute):
        if node.attr in HELD_ATTRIBUTES:
            return f"it uses .{node.attr}"
        if node.attr.startswith("__") and node.attr not in ALLOWED_DUNDERS:
            return f"it reaches for {node.attr}"
    elif (
        isinstance(node, ast.Name) and node.id.startswith("__") and node.id not in (ALLOWED_DUNDERS)
    ):
        return f"it names {node.id}"
    return None
