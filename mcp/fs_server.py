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
import logging
import os
import stat
import sys
from pathlib import Path

from mcp.server.mcpserver.exceptions import ToolError

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


def build_server(executor: Executor, worktree: str | Path | None) -> GuardedServer:
    """The fs server for one worktree (an unusable worktree refuses every call)."""
    wt = Path(worktree) if worktree else None
    if wt is None or not wt.is_absolute() or not wt.is_dir():
        executor.problems.append("DEVFORGE_WORKTREE is not an absolute path to a directory")
        wt = Path("/nonexistent")
    root = wt.resolve()
    server = GuardedServer("devforge-fs", executor, instructions=INSTRUCTIONS)

    @server.tool(structured_output=False)
    def read_file(path: str, decision: Decision) -> str:
        """Read a text file of the worktree (at most 64 KiB are returned)."""
        try:
            fd = open_beneath(root, path, os.O_RDONLY | os.O_NONBLOCK)
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None
        try:
            if not is_regular(fd):
                raise ToolError(f"not a regular file: {path}")
            data, cut = _read_bounded(fd, MAX_OUTPUT)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if b"\x00" in data[:8192]:
            return f"[binary file, {size} bytes, not shown]"
        text = data.decode("utf-8", "replace")
        if cut:
            text += f"\n[file truncated: showing {len(data)} of {size} bytes]"
        return text

    @server.tool(structured_output=False)
    def write_file(path: str, content: str, decision: Decision) -> str:
        """Create or replace a text file of the worktree (parent directories are created)."""
        data = content.encode("utf-8")
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
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except ToolError:
            raise
        except (OSError, PathRefused) as exc:
            raise _fail(exc, path) from None
        return f"wrote {len(data)} bytes to {path}"

    @server.tool(structured_output=False)
    def list_dir(path: str, decision: Decision) -> str:
        """List a directory of the worktree ('.' is the root); directories end with '/'."""
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

    @server.tool(structured_output=False)
    def delete_file(path: str, decision: Decision) -> str:
        """Delete one file (or symlink) of the worktree; directories are not deleted."""
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

    @server.tool(structured_output=False)
    async def search_files(
        pattern: str, decision: Decision, path: str = ".", regex: bool = False
    ) -> str:
        """Search the worktree's text files for a fixed string (or, with regex, a POSIX
        extended regular expression). Returns path:line:text lines, bounded."""
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
