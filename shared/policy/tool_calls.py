"""One entry point for the guard: judge an MCP tool call by tool name and arguments.

Each tool's arguments and the way it is judged come from its entry in ``shared.tools``.
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
from shared.tools import TOOLS, Tool

__all__ = ["TOOLS", "BadToolArguments", "assess_tool_call"]


class BadToolArguments(ValueError):
    """The arguments do not match the tool's schema."""


_GIT_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/~^@{}+-]{0,199}")
MAX_EDITS = 50  # replacements one apply_edits may carry
_KINDS = {
    "str": "a string",
    "int": "an integer",
    "num": "a number",
    "bool": "a boolean",
    "strs": "a list of strings",
    "edits": "a list of {old_text, new_text} objects",
}


def _type_ok(value: object, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "num":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "edits":
        return (
            isinstance(value, list)
            and 0 < len(value) <= MAX_EDITS
            and all(
                isinstance(v, dict)
                and set(v) == {"old_text", "new_text"}
                and all(isinstance(x, str) for x in v.values())
                for v in value
            )
        )
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _validate(tool: Tool, args: Mapping[str, object]) -> None:
    unknown = sorted(set(args) - set(tool.args))
    if unknown:
        raise BadToolArguments(f"{tool.name}: unknown argument(s) {', '.join(unknown)}")
    for name, arg in tool.args.items():
        kind = _KINDS[arg.type]
        if name not in args:
            if arg.required:
                raise BadToolArguments(f"{tool.name}: missing required argument {name!r} ({kind})")
        elif not _type_ok(args[name], arg.type):
            got = type(args[name]).__name__
            raise BadToolArguments(f"{tool.name}: argument {name!r} must be {kind}, got {got}")


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
    spec = TOOLS.get(tool)
    if spec is None:
        return deny("tool.unknown", f"unknown tool {tool!r}")
    if not isinstance(args, Mapping):
        raise BadToolArguments(f"{tool}: arguments must be an object, got {type(args).__name__}")
    _validate(spec, args)
    if spec.judge == "command":
        return assess_command(str(args["command"]), worktree=worktree)
    if spec.judge == "read":
        return _path_verdict(str(args.get("path", ".")), worktree, write=False)
    if spec.judge == "write":
        v = _path_verdict(str(args["path"]), worktree, write=True)
        if spec.writes is None:
            return v
        written = args[spec.writes]
        if isinstance(written, list):  # apply_edits: the new texts
            written = "\n".join(str(e["new_text"]) for e in written if isinstance(e, Mapping))
        found = scan(str(written))
        secrets = [
            deny(f"secrets.{f.kind}", f"content has a {f.kind} at line {f.line} ({f.redacted})")
            for f in found
        ]
        return combine(v, *secrets)
    if spec.judge == "delete":
        path = str(args["path"])
        v = _path_verdict(path, worktree, write=True, parent=True)
        if posixpath.normpath(path.replace("\\", "/")) in (".", "/"):
            v = combine(v, deny("tool.delete_root", "refusing to delete the worktree root"))
        return v
    if spec.judge == "none":
        return allow()
    base = args.get("base")
    if isinstance(base, str) and (not _GIT_REF.fullmatch(base) or ".." in base.split("/")):
        return deny("tool.bad_ref", f"{tool}: base {base!r} is not a plain git revision")
    return allow()
