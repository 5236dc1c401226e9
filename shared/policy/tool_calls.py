"""One entry point for the guard: judge an MCP tool call by tool name and arguments.

Argument schemas are strict: a missing required argument, a wrong type or an unknown argument
raises ``BadToolArguments`` (a caller bug, not a policy decision). Unknown tools are denied.
Deleting or writing inside the worktree is normal engineering work and allowed, except for
``.git`` internals (deny), CI configuration (needs approval) and content carrying a secret
(deny, rule ``secrets.<kind>``). Rule ids: ``tool.*`` plus those of the underlying policies.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from pathlib import Path

from shared.policy.commands import assess_command
from shared.policy.paths import assess_path, check_symlink_escape
from shared.policy.secrets import scan
from shared.policy.verdict import Verdict, allow, combine, deny

__all__ = ["TOOLS", "BadToolArguments", "assess_tool_call"]


class BadToolArguments(ValueError):
    """The arguments do not match the tool's schema."""


_STR, _INT, _NUM, _STRS = "a string", "an integer", "a number", "a list of strings"
_BOOL = "a boolean"
_GIT_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/~^@{}+-]{0,199}")
_FIXED = {"path": (_STR, False), "paths": (_STRS, False)}
TOOLS: dict[str, dict[str, tuple[str, bool]] | None] = {
    "run_command": {"command": (_STR, True), "timeout": (_NUM, False)},
    "read_file": {"path": (_STR, True), "offset": (_INT, False), "limit": (_INT, False)},
    "list_dir": {"path": (_STR, False)},
    "delete_file": {"path": (_STR, True)},
    "write_file": {"path": (_STR, True), "content": (_STR, True)},
    "view_file": {"path": (_STR, True), "start_line": (_INT, False), "end_line": (_INT, False)},
    "str_replace": {"path": (_STR, True), "old_text": (_STR, True), "new_text": (_STR, True)},
    "insert_lines": {"path": (_STR, True), "line": (_INT, True), "text": (_STR, True)},
    "undo_edit": {"path": (_STR, True)},
    "search_files": {"pattern": (_STR, True), "path": (_STR, False), "regex": (_BOOL, False)},
    "run_tests": {
        **_FIXED,
        "tests": (_STRS, False),
        "keyword": (_STR, False),
        "base": (_STR, False),
    },
    "run_coverage": {**_FIXED, "threshold": (_NUM, False), "base": (_STR, False)},
    "run_lint": {**_FIXED, "base": (_STR, False)},
    "run_semgrep": {**_FIXED, "base": (_STR, False)},
    "scan_secrets": {**_FIXED, "base": (_STR, False)},
    "git_status": _FIXED,
    "git_diff": {**_FIXED, "base": (_STR, False)},
    "search_code": {"query": (_STR, True), "limit": (_INT, False), "k": (_INT, False)},
    "prepare_env": {},  # the declared install, in the egress-limited phase; no arguments
}


# The tools that put text into a file, and the argument holding it (scanned for secrets).
WRITES = {"write_file": "content", "str_replace": "new_text", "insert_lines": "text"}


def _type_ok(value: object, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _validate(tool: str, args: Mapping[str, object]) -> None:
    schema = TOOLS[tool]
    if schema is None:
        return
    unknown = sorted(set(args) - set(schema))
    if unknown:
        raise BadToolArguments(f"{tool}: unknown argument(s) {', '.join(unknown)}")
    for name, (kind, required) in schema.items():
        if name not in args:
            if required:
                raise BadToolArguments(f"{tool}: missing required argument {name!r} ({kind})")
        elif not _type_ok(args[name], kind):
            got = type(args[name]).__name__
            raise BadToolArguments(f"{tool}: argument {name!r} must be {kind}, got {got}")


def _path_verdict(
    path: str, worktree: Path | None, *, write: bool, parent: bool = False
) -> Verdict:
    v = assess_path(path, worktree, write=write)
    if v.verdict == "deny" or worktree is None:
        return v
    rel = path if not path.startswith("/") else posixpath.relpath(path, str(worktree))
    target = (posixpath.dirname(rel.rstrip("/")) or ".") if parent else rel
    return combine(v, check_symlink_escape(worktree, target))


def assess_tool_call(
    tool: str, args: Mapping[str, object], worktree: Path | None = None
) -> Verdict:
    """Judge one tool call. Raises ``BadToolArguments`` for malformed arguments."""
    if tool not in TOOLS:
        return deny("tool.unknown", f"unknown tool {tool!r}")
    if not isinstance(args, Mapping):
        raise BadToolArguments(f"{tool}: arguments must be an object, got {type(args).__name__}")
    _validate(tool, args)
    if tool == "run_command":
        return assess_command(str(args["command"]), worktree=worktree)
    if tool in ("read_file", "list_dir", "search_files", "view_file"):
        return _path_verdict(str(args.get("path", ".")), worktree, write=False)
    if tool == "undo_edit":
        return _path_verdict(str(args["path"]), worktree, write=True)
    if tool in WRITES:
        v = _path_verdict(str(args["path"]), worktree, write=True)
        found = scan(str(args[WRITES[tool]]))
        secrets = [
            deny(f"secrets.{f.kind}", f"content has a {f.kind} at line {f.line} ({f.redacted})")
            for f in found
        ]
        return combine(v, *secrets)
    if tool == "delete_file":
        path = str(args["path"])
        v = _path_verdict(path, worktree, write=True, parent=True)
        if posixpath.normpath(path.replace("\\", "/")) in (".", "/"):
            v = combine(v, deny("tool.delete_root", "refusing to delete the worktree root"))
        return v
    base = args.get("base")
    if isinstance(base, str) and (not _GIT_REF.fullmatch(base) or ".." in base.split("/")):
        return deny("tool.bad_ref", f"{tool}: base {base!r} is not a plain git revision")
    extra = args.get("paths")
    paths = [str(p) for p in extra] if isinstance(extra, list) else []
    if "path" in args:
        paths.append(str(args["path"]))
    return combine(allow(), *(_path_verdict(str(p), worktree, write=False) for p in paths))
