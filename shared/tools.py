"""Every tool an agent can call, declared once. Pure data.

From ``TOOLS`` derive: the tools each MCP server registers (with the description given here; a
test compares each server's ``tools/list`` with this table), the guard's argument checks and the
way it judges a call (``shared.policy.tool_calls``), each crew role's toolbox (a tool goes to
the roles with one of the capabilities that grant it: ``shared.roles``), and the step
bookkeeping (which calls may run again after a crash, which change the worktree and are
committed before their result is recorded: ``shared.crew.steps``).

Adding a tool is one entry here plus its implementation on the server the entry names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.roles import BY_NAME, CREW, Capability

# An argument's type as the guard checks it (JSON types; "strs" is a list of strings, "edits" a
# list of ``TextEdit`` objects).
ArgType = Literal["str", "int", "num", "bool", "strs", "edits"]
# Where a tool runs: an MCP server (``mcp/<server>_server.py``) or, for the code index, the
# agent's own service asking the indexer over the bus (the decision is verified there).
Server = Literal["fs", "sandbox", "indexer"]
# How the guard judges a call, beyond its argument types:
#   command: the shell command (``policy.commands``); read/write: the path (write also scans
#   the written text for secrets); delete: the path's parent, never the root; check: the
#   ``base`` revision and paths read; none: nothing beyond the arguments.
Judge = Literal["command", "read", "write", "delete", "check", "none"]


class TextEdit(BaseModel):
    """One replacement of ``apply_edits``: exact old text, its new text."""

    model_config = ConfigDict(extra="forbid")
    old_text: str
    new_text: str


@dataclass(frozen=True)
class Arg:
    type: ArgType
    required: bool = False


@dataclass(frozen=True)
class Tool:
    name: str
    server: Server
    description: str
    args: dict[str, Arg]
    grants: frozenset[Capability]  # a role with any of these capabilities gets the tool
    judge: Judge
    idempotent: bool  # running it again leaves the worktree as one run would
    changes_worktree: bool = False
    writes: str | None = None  # the argument holding text put into a file (secret-scanned)
    setup: bool = False  # called by the platform before a role starts, never by the model


def _grant(*caps: Capability) -> frozenset[Capability]:
    return frozenset(caps)


_BASE = Arg("str")  # a branch or commit: "since base" for the checks that take it
_TOOLS: tuple[Tool, ...] = (
    Tool(
        "read_file",
        "fs",
        "Read a text file of the worktree (at most 64 KiB are returned).",
        {"path": Arg("str", True)},
        _grant("read"),
        "read",
        idempotent=True,
    ),
    Tool(
        "view_file",
        "fs",
        "Show a file with line numbers: lines start_line..end_line, or the whole file when it "
        "is short (else its first 200 lines, saying how many there are). A directory is shown "
        "as a tree two levels deep.",
        {"path": Arg("str", True), "start_line": Arg("int"), "end_line": Arg("int")},
        _grant("read"),
        "read",
        idempotent=True,
    ),
    Tool(
        "list_dir",
        "fs",
        "List a directory of the worktree ('.' is the root); directories end with '/'.",
        {"path": Arg("str", True)},
        _grant("read"),
        "read",
        idempotent=True,
    ),
    Tool(
        "search_files",
        "fs",
        "Search the worktree's text files for a fixed string (or, with regex, a POSIX extended "
        "regular expression). Returns path:line:text lines, bounded.",
        {"pattern": Arg("str", True), "path": Arg("str"), "regex": Arg("bool")},
        _grant("read"),
        "read",
        idempotent=True,
    ),
    Tool(
        "write_file",
        "fs",
        "Create a file, or replace a small one whole (parent directories are created). To "
        "change part of an existing file use str_replace or insert_lines.",
        {"path": Arg("str", True), "content": Arg("str", True)},
        _grant("edit"),
        "write",
        idempotent=True,  # a second write puts the same bytes
        changes_worktree=True,
        writes="content",
    ),
    Tool(
        "str_replace",
        "fs",
        "Replace the one occurrence of old_text in a file with new_text (exact match, "
        "whitespace included; copy old_text from view_file without the line numbers). Refused, "
        "with the matching lines, when old_text occurs zero or several times.",
        {"path": Arg("str", True), "old_text": Arg("str", True), "new_text": Arg("str", True)},
        _grant("edit"),
        "write",
        idempotent=False,
        changes_worktree=True,
        writes="new_text",
    ),
    Tool(
        "apply_edits",
        "fs",
        "Several replacements in one file, applied together: each old_text must match the file "
        "exactly once and no two may overlap. Checked (syntax, lint) as one change, so edits "
        "that only parse together can be made. Refused as a whole, naming the edit, otherwise.",
        {"path": Arg("str", True), "edits": Arg("edits", True)},
        _grant("edit"),
        "write",
        idempotent=False,
        changes_worktree=True,
        writes="edits",
    ),
    Tool(
        "insert_lines",
        "fs",
        "Insert text after line `line` of a file (0: at the top).",
        {"path": Arg("str", True), "line": Arg("int", True), "text": Arg("str", True)},
        _grant("edit"),
        "write",
        idempotent=False,
        changes_worktree=True,
        writes="text",
    ),
    Tool(
        "undo_edit",
        "fs",
        "Put a file back as it was before its last str_replace, apply_edits or insert_lines.",
        {"path": Arg("str", True)},
        _grant("edit"),
        "write",
        idempotent=False,
        changes_worktree=True,
    ),
    Tool(
        "delete_file",
        "fs",
        "Delete one file (or symlink) of the worktree; directories are not deleted.",
        {"path": Arg("str", True)},
        _grant("edit"),
        "delete",
        idempotent=True,
        changes_worktree=True,
    ),
    Tool(
        "run_command",
        "sandbox",
        "Run a bash command in the worktree (no network; writes only in the worktree).",
        {"command": Arg("str", True)},
        _grant("run"),
        "command",
        idempotent=False,
        changes_worktree=True,
    ),
    Tool(
        "prepare_env",
        "sandbox",
        "Build the repository's own test environment (pyproject.toml, setup.py/setup.cfg, "
        "requirement files) into a cached virtualenv that later commands use, mounted "
        "read-only; network only to the platform's package index.",
        {},
        _grant("run"),
        "none",
        idempotent=True,  # a cached install
        setup=True,
    ),
    Tool(
        "run_tests",
        "sandbox",
        "Run the repository's tests (pytest, or npm test when package.json has a test script). "
        "For pytest, ``tests`` picks test ids or paths (``tests/test_x.py::test_y``) and "
        "``keyword`` a ``-k`` expression; by default every test runs. With ``base`` (a branch "
        "or commit) they run on that commit's files instead of the worktree's: was it failing "
        "before the change?",
        {"tests": Arg("strs"), "keyword": Arg("str"), "base": _BASE},
        _grant("run", "check"),
        "check",
        idempotent=True,
    ),
    Tool(
        "run_coverage",
        "sandbox",
        "Run the tests with coverage. With ``base`` (a branch or commit), judge only the lines "
        "changed since it (diff coverage: the uncovered changed lines are listed); otherwise "
        "the whole repository's total. With a threshold (percent), the run fails below it.",
        {"threshold": Arg("num"), "base": _BASE},
        _grant("check"),
        "check",
        idempotent=True,
    ),
    Tool(
        "run_lint",
        "sandbox",
        "Run the repository's linter (ruff for Python, npm run lint when defined). With "
        "``base`` (a branch or commit): ruff, with the repository's own configuration or its "
        "defaults, on the Python files changed since it, reporting only findings on changed "
        "lines (a JSON list).",
        {"base": _BASE},
        _grant("check"),
        "check",
        idempotent=True,
    ),
    Tool(
        "run_semgrep",
        "sandbox",
        "Run semgrep with the configured local rules (JSON report). With ``base`` (a branch or "
        "commit), scan the files changed since it and report only findings on changed lines.",
        {"base": _BASE},
        _grant("check"),
        "check",
        idempotent=True,
    ),
    Tool(
        "scan_secrets",
        "sandbox",
        "Scan the changes (git diff against HEAD, or base) and untracked files for secrets.",
        {"base": _BASE},
        _grant("check"),
        "check",
        idempotent=True,
    ),
    Tool(
        "git_status",
        "sandbox",
        "git status of the worktree (short format with branch).",
        {},
        _grant("run"),
        "check",
        idempotent=True,
    ),
    Tool(
        "git_diff",
        "sandbox",
        "git diff of the worktree against HEAD (or base), plus the list of untracked files.",
        {"base": _BASE},
        _grant("run", "check"),
        "check",
        idempotent=True,
    ),
    Tool(
        "search_code",
        "indexer",
        "Search the repository's code index by meaning and keywords. Returns the best matching "
        "functions, classes and text windows with their path and lines.",
        {"query": Arg("str", True), "k": Arg("int")},
        _grant("search"),
        "none",
        idempotent=True,  # a read of the index
    ),
)
TOOLS: dict[str, Tool] = {t.name: t for t in _TOOLS}


def on_server(server: Server) -> tuple[str, ...]:
    return tuple(t.name for t in _TOOLS if t.server == server)


def offered(role: str) -> tuple[str, ...]:
    """The tools a role's model is offered, in the table's order."""
    caps = BY_NAME[role].capabilities
    return tuple(t.name for t in _TOOLS if t.grants & caps and not t.setup)


def setup_tools(role: str) -> tuple[str, ...]:
    """The tools the platform calls itself before the role's model starts."""
    caps = BY_NAME[role].capabilities
    return tuple(t.name for t in _TOOLS if t.grants & caps and t.setup)


def roles_of(tool: str) -> tuple[str, ...]:
    """The crew roles that get a tool (offered or as set-up)."""
    grants = TOOLS[tool].grants
    return tuple(r.name for r in CREW if r.capabilities & grants)


IDEMPOTENT = frozenset(t.name for t in _TOOLS if t.idempotent)
CHANGES_WORKTREE = frozenset(t.name for t in _TOOLS if t.changes_worktree)
