"""MCP server ``fs``: files inside one job's worktree, for guard-approved steps only.

Run as a script over stdio: ``python mcp/fs_server.py`` with, in its environment,
``DEVFORGE_WORKTREE`` (absolute), ``DEVFORGE_TENANT``, ``DEVFORGE_JOB_ID``,
``DEVFORGE_GUARD_PUBLIC_KEY`` and ``DEVFORGE_DATABASE_URL`` (see mcp/README.md).

Every tool takes its own arguments plus ``decision`` (the guard's signed ``step.approved``);
``shared.executor.GuardedServer`` refuses the call unless the decision covers exactly these
arguments for this job, and records the step so that it runs at most once. Paths are resolved
by the kernel beneath the worktree (openat2 ``RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS``), so
``..``, absolute paths and symlinks that lead out are refused even for an approved call;
nothing is written or deleted inside ``.git``. Outputs are redacted and bounded.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import sys
from pathlib import Path

from mcp.server.mcpserver.exceptions import ToolError

from shared import lint
from shared.editing import (
    EditError,
    excerpt,
    insert,
    replace,
    replace_many,
    syntax_error,
    view,
)
from shared.executor import (
    MAX_OUTPUT,
    Decision,
    Executor,
    GuardedServer,
    PathRefused,
    git_component,
    is_regular,
    mkdirs_beneath,
    open_beneath,
    open_leaf,
    open_parent_beneath,
    resolved_relpath,
)
from shared.sandbox import SandboxUnavailable, run_sandboxed
from shared.tools import TextEdit

MAX_WRITE = 2 * 1024 * 1024  # bytes one write_file may store
MAX_ENTRIES = 1000  # entries one list_dir shows
MAX_PATTERN = 1000
SEARCH_TIMEOUT_S = 30.0
SEARCH_LINE = 300  # characters of one matching line shown

INSTRUCTIONS = (
    "Files of this job's worktree. Paths are relative to the worktree root. Every call needs "
    "the guard's decision for exactly its arguments."
)


def _fail(exc: BaseException, path: str) -> ToolError:
    if isinstance(exc, PathRefused):
        return ToolError(f"refused: {exc}")
    if isinstance(exc, FileNotFoundError):
        return ToolError(f"no such file or directory: {path}")
    if isinstance(exc, NotADirectoryError) or getattr(exc, "errno", None) == errno.ENOTDIR:
        return ToolError(f"not a directory: {path}")
    if isinstance(exc, IsADirectoryError):
        return ToolError(f"is a directory: {path}")
    if isinstance(exc, OSError):
        return ToolError(f"{path}: {exc.strerror or exc}")
    return ToolError(f"{path}: {exc}")


def _read_bounded(fd: int, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    data = b"".join(chunks)
    return data[:limit], len(data) > limit


def _tree(root: Path, path: str, depth: int = 2) -> str:
    """A directory as a tree ``depth`` levels deep (directories end with '/')."""
    base = (root / path).resolve()
    lines: list[str] = []

    def walk(d: Path, level: int) -> None:
        try:
            entries = sorted(d.iterdir(), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            if e.name == ".git" or len(lines) >= MAX_ENTRIES:
                continue
            is_dir = e.is_dir() and not e.is_symlink()
            lines.append(f"{'  ' * level}{e.name}{'/' if is_dir else ''}")
            if is_dir and level + 1 < depth:
                walk(e, level + 1)

    walk(base, 0)
    return "\n".join(lines) if lines else "(empty directory)"


def build_server(executor: Executor, worktree: str | Path | None) -> GuardedServer:
    """The fs server for one worktree (an unusable worktree refuses every call)."""
    wt = Path(worktree) if worktree else None
    if wt is None or not wt.is_absolute() or not wt.is_dir():
        executor.problems.append("DEVFORGE_WORKTREE is not an absolute path to a directory")
        wt = Path("/nonexistent")
    root = wt.resolve()
    server = GuardedServer("fs", executor, instructions=INSTRUCTIONS)

    def read_regular(path: str, limit: int) -> tuple[bytes, bool, int]:
        """(up to ``limit`` bytes of a regular file of the worktree, cut?, its size)."""
        try:
            fd = open_beneath(root, path, os.O_RDONLY | os.O_NONBLOCK)
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None
        try:
            if not is_regular(fd):
                raise ToolError(f"not a regular file: {path}")
            data, cut = _read_bounded(fd, limit)
            return data, cut, os.fstat(fd).st_size
        finally:
            os.close(fd)

    @server.declared
    def read_file(path: str, decision: Decision) -> str:
        data, cut, size = read_regular(path, MAX_OUTPUT)
        if b"\x00" in data[:8192]:
            return f"[binary file, {size} bytes, not shown]"
        text = data.decode("utf-8", "replace")
        if cut:
            text += f"\n[file truncated: showing {len(data)} of {size} bytes]"
        return text

    def store(path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` beneath the worktree (never inside .git, never through a
        link or a hard link), creating its parent directories."""
        if len(data) > MAX_WRITE:
            raise ToolError(f"refused: content larger than {MAX_WRITE} bytes")
        try:
            if git_component(path):
                raise PathRefused("writing inside .git is not allowed")
            parent = path.rstrip("/").rpartition("/")[0]
            mkdirs_beneath(root, parent or ".")
            pfd, name = open_parent_beneath(root, path)
            try:
                if git_component(resolved_relpath(root, pfd)):
                    raise PathRefused("writing inside .git is not allowed")
                fd = open_leaf(pfd, name, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK, 0o644)
            finally:
                os.close(pfd)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise ToolError(f"not a regular file: {path}")
                if st.st_nlink > 1:
                    raise PathRefused(f"{path} has other hard links; refusing to write through")
                os.ftruncate(fd, 0)
                rest = memoryview(data)
                while rest:
                    rest = rest[os.write(fd, rest) :]
            finally:
                os.close(fd)
        except ToolError:
            raise
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None

    def load(path: str) -> str:
        """The whole text of a file of the worktree (for an edit: no size cut)."""
        data, cut, _ = read_regular(path, MAX_WRITE)
        if cut:
            raise ToolError(f"refused: {path} is larger than {MAX_WRITE} bytes")
        if b"\x00" in data[:8192]:
            raise ToolError(f"refused: {path} is a binary file")
        return data.decode("utf-8", "surrogateescape")

    @server.declared
    def write_file(path: str, content: str, decision: Decision) -> str:
        store(path, content.encode("utf-8"))
        return f"wrote {len(content.encode('utf-8'))} bytes to {path}"

    undo_dir = Path(f"{root}.undo")  # beside the worktree: never committed, never in its tree

    def remember(path: str, text: str) -> None:
        undo_dir.mkdir(mode=0o700, exist_ok=True)
        key = hashlib.sha256(path.encode()).hexdigest()[:32]
        (undo_dir / key).write_text(text, "utf-8", errors="surrogateescape")

    def edited(path: str, before: str, after: str, regions: list[tuple[int, int]]) -> str:
        """Keep ``after`` when it still parses; remember ``before`` for undo_edit. ``regions``:
        (first line, line count) of each change, shown with the lines around it."""
        problem = syntax_error(path, after)
        if problem is not None:
            raise ToolError(
                f"refused: the edit leaves {path} with a syntax error ({problem}); "
                "the file is unchanged"
            )
        remember(path, before)
        store(path, after.encode("utf-8", "surrogateescape"))
        shown = "\n...\n".join(excerpt(after, line, count) for line, count in regions)
        said = f"edited {path}; lines around the change{'s' if len(regions) > 1 else ''}:\n{shown}"
        new = lint.introduced(path, before, after)
        if new:
            said += f"\nlint (ruff {lint.RULES}) finds what the edit brought in:\n" + "\n".join(new)
        return said

    @server.declared
    def view_file(
        path: str, decision: Decision, start_line: int | None = None, end_line: int | None = None
    ) -> str:
        try:
            fd = open_beneath(root, path, os.O_RDONLY | os.O_NONBLOCK)
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None
        try:
            is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        finally:
            os.close(fd)
        if is_dir:
            return _tree(root, path)
        try:
            return view(load(path), start_line, end_line)
        except EditError as exc:
            raise ToolError(str(exc)) from None

    @server.declared
    def str_replace(path: str, old_text: str, new_text: str, decision: Decision) -> str:
        before = load(path)
        try:
            after, line = replace(before, old_text, new_text)
        except EditError as exc:
            raise ToolError(f"refused: {exc}") from None
        return edited(path, before, after, [(line, new_text.count("\n") + 1)])

    @server.declared
    def apply_edits(path: str, edits: list[TextEdit], decision: Decision) -> str:
        before = load(path)
        try:
            after, regions = replace_many(before, [(e.old_text, e.new_text) for e in edits])
        except EditError as exc:
            raise ToolError(f"refused: {exc}") from None
        return edited(path, before, after, regions)

    @server.declared
    def insert_lines(path: str, line: int, text: str, decision: Decision) -> str:
        before = load(path)
        try:
            after = insert(before, line, text)
        except EditError as exc:
            raise ToolError(f"refused: {exc}") from None
        return edited(path, before, after, [(line + 1, text.count("\n") + 1)])

    @server.declared
    def undo_edit(path: str, decision: Decision) -> str:
        key = undo_dir / hashlib.sha256(path.encode()).hexdigest()[:32]
        if not key.exists():
            raise ToolError(f"refused: no edit of {path} to undo")
        store(
            path,
            key.read_text("utf-8", errors="surrogateescape").encode("utf-8", "surrogateescape"),
        )
        key.unlink()
        return f"{path} is back as it was before its last edit"

    @server.declared
    def list_dir(path: str, decision: Decision) -> str:
        try:
            fd = open_beneath(root, path, os.O_RDONLY | os.O_DIRECTORY)
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None
        lines: list[str] = []
        try:
            with os.scandir(fd) as it:
                entries = sorted(it, key=lambda e: e.name)
            for e in entries[:MAX_ENTRIES]:
                try:
                    if e.is_symlink():
                        lines.append(f"{e.name}@")
                    elif e.is_dir(follow_symlinks=False):
                        lines.append(f"{e.name}/")
                    else:
                        lines.append(f"{e.name}\t{e.stat(follow_symlinks=False).st_size}")
                except OSError:
                    lines.append(f"{e.name}?")
            if len(entries) > MAX_ENTRIES:
                lines.append(f"[{len(entries) - MAX_ENTRIES} more entries not shown]")
        finally:
            os.close(fd)
        return "\n".join(lines) if lines else "(empty directory)"

    @server.declared
    def delete_file(path: str, decision: Decision) -> str:
        try:
            if git_component(path):
                raise PathRefused("deleting inside .git is not allowed")
            pfd, name = open_parent_beneath(root, path)
            try:
                if git_component(resolved_relpath(root, pfd)):
                    raise PathRefused("deleting inside .git is not allowed")
                st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    raise IsADirectoryError(errno.EISDIR, "is a directory", path)
                os.unlink(name, dir_fd=pfd)
            finally:
                os.close(pfd)
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None
        return f"deleted {path}"

    @server.declared
    async def search_files(
        pattern: str, decision: Decision, path: str = ".", regex: bool = False
    ) -> str:
        if not pattern or len(pattern) > MAX_PATTERN or "\x00" in pattern or "\n" in pattern:
            raise ToolError("refused: the pattern must be one line of 1-1000 characters")
        try:
            fd = open_beneath(root, path, os.O_PATH)
            try:
                rel = resolved_relpath(root, fd) or "."
            finally:
                os.close(fd)
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None
        argv = ["grep", "-r", "-n", "-I", "-H", "--no-messages", "--exclude-dir=.git"]
        argv += ["--max-count=50", "-E" if regex else "-F", "-e", pattern, "--", rel]
        try:
            result = await run_sandboxed(
                argv, root, timeout_s=SEARCH_TIMEOUT_S, memory_mb=512, worktree_writable=False
            )
        except SandboxUnavailable as exc:
            raise ToolError(f"search unavailable: {exc}") from None
        if result.timed_out:
            raise ToolError("search timed out")
        if result.exit_code == 1:
            return "no matches"
        if result.exit_code != 0:
            raise ToolError(f"search failed: {result.output.strip()[:300]}")
        lines = [
            ln if len(ln) <= SEARCH_LINE else ln[:SEARCH_LINE] + " [...]"
            for ln in (x.removeprefix("./") for x in result.output.splitlines())
        ]
        text = "\n".join(lines)
        if result.truncated:
            text += "\n[search output truncated]"
        return text

    return server


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    executor = Executor.from_env()
    server = build_server(executor, os.environ.get("DEVFORGE_WORKTREE"))
    server.run("stdio")


if __name__ == "__main__":
    main()
