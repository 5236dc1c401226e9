"""The executor side of the trust boundary: nothing runs without the guard's decision for exactly
this call, and a step runs at most once.

Every tool of an MCP server in ``mcp/`` takes its own arguments plus ``decision`` (the guard's
signed ``step.approved``: tenant, job id, step id, signature, key id, argument hash). Before a
tool acts, :class:`Executor`

1. ``check`` (pure): the signature is valid under a trusted guard key and covers exactly
   (tenant, job, step, tool, SHA-256 of the RFC 8785 canonical arguments minus ``decision``),
   and the server is bound to that tenant and job;
2. ``claim`` (PostgreSQL): inserts the step into ``executions``; a second call with the same
   step is refused;
3. ``finish``: records the outcome.

Missing configuration refuses every call (fail closed). :class:`GuardedServer` wires this into
``MCPServer.call_tool`` so that every tool call goes through it, and redacts and bounds outputs.

This module also holds the openat2-based path helpers used by the executors (``open_beneath``,
...): a path is resolved by the kernel beneath the worktree, with no ``..``, absolute path,
magic link or symlink escape, and without a window between check and use.
(To be deduplicated with ``shared.policy.paths`` once that exists.)
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import os
import platform
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

import asyncpg
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.decisions import DecisionInvalid, Verifier
from shared.tools import TOOLS, Server

_Fn = TypeVar("_Fn", bound=Callable[..., Any])

__all__ = [
    "MAX_OUTPUT",
    "Decision",
    "ExecutionStore",
    "Executor",
    "GuardedServer",
    "PathRefused",
    "PgExecutionStore",
    "Refused",
    "bound_text",
    "git_component",
    "is_regular",
    "mkdirs_beneath",
    "open_beneath",
    "open_leaf",
    "open_parent_beneath",
    "redact",
    "resolved_relpath",
]

MAX_OUTPUT = 64 * 1024  # characters of one tool result


class Refused(Exception):
    """The executor will not run this call; ``str(exc)`` is a one-line reason."""


class Decision(BaseModel):
    """The ``decision`` argument every guarded tool takes (the guard's ``step.approved``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(min_length=1, max_length=128)
    job_id: str = Field(min_length=1, max_length=128)
    step_id: str = Field(min_length=1, max_length=128)
    signature: str = Field(min_length=1, max_length=512)
    key_id: str = Field(min_length=1, max_length=128)
    args_sha256: str = Field(min_length=64, max_length=64)


# --------------------------------------------------------------------------- execution store


class ExecutionStore(Protocol):
    async def claim(self, decision: Decision, tool: str) -> bool:
        """Record the step as started; False when the step was recorded before."""
        ...

    async def finish(self, decision: Decision, status: str) -> None: ...

    async def close(self) -> None: ...


class PgExecutionStore:
    """The ``executions`` table (primary key tenant, job, step); the pool is made on first use."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._pool: asyncpg.Pool[Any] | None = None
        self._lock = asyncio.Lock()

    async def _get_pool(self) -> asyncpg.Pool[Any]:
        async with self._lock:
            if self._pool is None:
                from shared.db.pool import create_pool

                self._pool = await create_pool(self._url, min_size=1, max_size=2)
            return self._pool

    async def claim(self, decision: Decision, tool: str) -> bool:
        pool = await self._get_pool()
        row = await pool.fetchval(
            "INSERT INTO executions (tenant_id, job_id, step_id, tool, args_sha256) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
            decision.tenant,
            decision.job_id,
            decision.step_id,
            tool,
            decision.args_sha256,
        )
        return row is not None

    async def finish(self, decision: Decision, status: str) -> None:
        pool = await self._get_pool()
        await pool.execute(
            "UPDATE executions SET status = $4, finished_at = now() "
            "WHERE tenant_id = $1 AND job_id = $2 AND step_id = $3",
            decision.tenant,
            decision.job_id,
            decision.step_id,
            status,
        )

    async def close(self) -> None:
        async with self._lock:
            if self._pool is not None:
                await self._pool.close()
                self._pool = None


# --------------------------------------------------------------------------- the executor


class Executor:
    """Verifies decisions and claims executions for one server bound to one tenant's job."""

    def __init__(
        self,
        *,
        verifier: Verifier | None,
        tenant: str | None,
        job_id: str | None,
        store: ExecutionStore | None,
        problems: list[str] | None = None,
    ) -> None:
        self.verifier = verifier
        self.tenant = tenant
        self.job_id = job_id
        self.store = store
        self.problems = list(problems or [])
        if verifier is None:
            self.problems.append("no guard public key configured (DEVFORGE_GUARD_PUBLIC_KEY)")
        if not tenant or not job_id:
            self.problems.append("server not bound to a job (DEVFORGE_TENANT, DEVFORGE_JOB_ID)")
        if store is None:
            self.problems.append("no execution store configured (DEVFORGE_DATABASE_URL)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Executor:
        env = os.environ if env is None else env
        problems: list[str] = []
        verifier: Verifier | None = None
        keys = [k.strip() for k in env.get("DEVFORGE_GUARD_PUBLIC_KEY", "").split(",") if k.strip()]
        if keys:
            try:
                verifier = Verifier(keys)
            except Exception:  # bad base64, wrong length: trust nothing
                problems.append("the configured guard public key is not valid")
        url = env.get("DEVFORGE_DATABASE_URL", "").strip()
        return cls(
            verifier=verifier,
            tenant=env.get("DEVFORGE_TENANT", "").strip() or None,
            job_id=env.get("DEVFORGE_JOB_ID", "").strip() or None,
            store=PgExecutionStore(url) if url else None,
            problems=problems,
        )

    def check(self, tool: str, arguments: Mapping[str, Any], decision: Any) -> Decision:
        """Pure: the parsed decision if it authorises exactly this call; raise Refused otherwise.

        ``arguments`` are the tool's arguments without ``decision``, exactly as the caller sent
        them (defaults not filled in): they are what the guard hashed.
        """
        if self.problems:
            raise Refused(self.problems[0])
        assert self.verifier is not None
        if decision is None:
            raise Refused("no guard decision attached to the call")
        try:
            parsed = Decision.model_validate(decision)
        except ValidationError:
            raise Refused("the guard decision is malformed") from None
        try:
            self.verifier.verify(
                tenant=parsed.tenant,
                job_id=parsed.job_id,
                step_id=parsed.step_id,
                tool=tool,
                arguments=dict(arguments),
                signature=parsed.signature,
                signed_key_id=parsed.key_id,
                signed_args_sha256=parsed.args_sha256,
            )
        except DecisionInvalid as exc:
            raise Refused(_one_line(str(exc))) from None
        if parsed.tenant != self.tenant or parsed.job_id != self.job_id:
            raise Refused("the decision is for another job than this server's")
        return parsed

    async def claim(self, decision: Decision, tool: str) -> None:
        """Record the execution; raise Refused when the step ran (or started) before."""
        if self.store is None:
            raise Refused("no execution store configured (DEVFORGE_DATABASE_URL)")
        try:
            fresh = await self.store.claim(decision, tool)
        except Exception as exc:  # the store is down: run nothing
            raise Refused(f"execution store unavailable ({type(exc).__name__})") from None
        if not fresh:
            raise Refused("step already executed")

    async def finish(self, decision: Decision, status: str) -> None:
        if self.store is not None:
            await self.store.finish(decision, status)

    async def aclose(self) -> None:
        if self.store is not None:
            await self.store.close()


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


# --------------------------------------------------------------------------- output hygiene


def redact(text: str) -> str:
    """Secret redaction of everything a tool returns (fails closed if the scanner is missing)."""
    from shared.policy.secrets import redact as _redact

    return _redact(text)


def bound_text(text: str, limit: int = MAX_OUTPUT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[output truncated: {len(text) - limit} more characters not shown]"


# --------------------------------------------------------------------------- the MCP server


class GuardedServer(MCPServer[Any]):
    """An MCPServer whose every tool call is checked, claimed and recorded by an Executor.

    Tools registered on it declare a ``decision: Decision`` parameter (so it appears in their
    input schema); the check happens here, before the tool function is reached.
    """

    def __init__(
        self, kind: Server, executor: Executor, *, instructions: str | None = None
    ) -> None:
        super().__init__(f"devforge-{kind}", instructions=instructions)
        self.kind = kind
        self.executor = executor

    def declared(self, fn: _Fn) -> _Fn:
        """Register ``fn`` as the tool of its name declared in ``shared.tools`` for this server,
        with the table's description and hints (a tool not declared here is a bug)."""
        spec = TOOLS.get(fn.__name__)
        if spec is None or spec.server != self.kind:
            raise RuntimeError(f"{fn.__name__} is not declared in shared.tools for {self.kind}")
        hints = ToolAnnotations(
            read_only_hint=not spec.changes_worktree,
            idempotent_hint=spec.idempotent,
            open_world_hint=False,
        )
        return self.tool(
            spec.name, description=spec.description, annotations=hints, structured_output=False
        )(fn)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        known = {t.name for t in await self.list_tools()}
        if name not in known:
            raise ToolError(f"refused: unknown tool {name!r}")
        signed = {k: v for k, v in arguments.items() if k != "decision"}
        try:
            decision = self.executor.check(name, signed, arguments.get("decision"))
            await self.executor.claim(decision, name)
        except Refused as exc:
            raise ToolError(f"refused: {exc}") from None
        status = "error"
        try:
            try:
                result = await super().call_tool(name, arguments, context)
            except ToolError as exc:
                status = "failed"
                raise ToolError(bound_text(redact(str(exc)))) from None
            if isinstance(result, CallToolResult):
                status = "failed" if result.is_error else "succeeded"
                result = _clean_result(result)
            else:  # an input request: no tool of ours asks for input
                status = "failed"
                raise ToolError("tool asked for input, which executors do not support")
            return result
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        finally:
            await asyncio.shield(self._finish(decision, status))

    async def _finish(self, decision: Decision, status: str) -> None:
        try:
            await self.executor.finish(decision, status)
        except Exception:  # the claim stands: the step is never re-run either way
            import logging

            logging.getLogger(__name__).exception("could not record the end of a step")


def _clean_result(result: CallToolResult) -> CallToolResult:
    content: list[Any] = []
    for block in result.content:
        if isinstance(block, TextContent):
            content.append(TextContent(type="text", text=bound_text(redact(block.text))))
        else:
            content.append(block)
    return CallToolResult(content=content, is_error=result.is_error)


# --------------------------------------------------------------------------- openat2 paths


class PathRefused(Exception):
    """A path that does not stay beneath the worktree (or names a forbidden place)."""


_SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437, "arm64": 437}
RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08


class _OpenHow(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    ]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _openat2(dirfd: int, path: str, flags: int, mode: int, resolve: int) -> int:
    nr = _SYS_OPENAT2.get(platform.machine())
    if nr is None:
        raise PathRefused(f"openat2 is not supported on {platform.machine()}")
    if not flags & os.O_CREAT:
        mode = 0  # openat2 refuses a mode without O_CREAT
    how = _OpenHow(flags | os.O_CLOEXEC, mode, resolve)
    while True:
        fd = _libc.syscall(
            ctypes.c_long(nr),
            ctypes.c_int(dirfd),
            ctypes.c_char_p(os.fsencode(path)),
            ctypes.byref(how),
            ctypes.c_size_t(ctypes.sizeof(how)),
        )
        if fd >= 0:
            return int(fd)
        err = ctypes.get_errno()
        if err == errno.EINTR:
            continue
        raise OSError(err, os.strerror(err), path)


def _check_relative(rel: str) -> str:
    if not isinstance(rel, str) or "\x00" in rel:
        raise PathRefused("invalid path")
    if rel.startswith("/"):
        raise PathRefused("absolute paths are not allowed")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PathRefused("'..' is not allowed in paths")
    return "/".join(parts) or "."


def open_beneath(worktree: str | Path, rel: str, flags: int, mode: int = 0o644) -> int:
    """Open ``rel`` beneath ``worktree``; the kernel refuses every way out (fd, caller closes)."""
    rel = _check_relative(rel)
    root = os.open(worktree, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return _openat2(root, rel, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.ELOOP):
            raise PathRefused(f"path escapes the worktree: {rel}") from None
        raise
    finally:
        os.close(root)


def resolved_relpath(worktree: str | Path, fd: int) -> str:
    """Where an open fd really is, relative to the worktree ('' for the worktree itself)."""
    real = os.readlink(f"/proc/self/fd/{fd}")
    root = os.path.realpath(worktree)
    if real == root:
        return ""
    if not real.startswith(root + "/"):
        raise PathRefused("path escapes the worktree")
    return real[len(root) + 1 :]


def git_component(rel: str) -> bool:
    """True when a worktree-relative path is inside (or is) a ``.git`` entry."""
    return any(part.lower() == ".git" for part in rel.split("/"))


def open_parent_beneath(worktree: str | Path, rel: str) -> tuple[int, str]:
    """(fd of the directory that holds ``rel``, last component); for create and unlink."""
    rel = _check_relative(rel)
    if rel == ".":
        raise PathRefused("the worktree itself is not a file")
    parent, _, name = rel.rpartition("/")
    fd = open_beneath(worktree, parent or ".", os.O_PATH | os.O_DIRECTORY)
    return fd, name


def open_leaf(parent_fd: int, name: str, flags: int, mode: int = 0o644) -> int:
    """Open one path component in a directory fd without following a symlink there."""
    if not name or "/" in name or name in (".", "..") or "\x00" in name:
        raise PathRefused("invalid file name")
    try:
        return _openat2(
            parent_fd, name, flags | os.O_NOFOLLOW, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
        )
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EXDEV):
            raise PathRefused(f"{name} is a symbolic link; refusing to follow it") from None
        raise


def mkdirs_beneath(worktree: str | Path, rel_dir: str) -> None:
    """``mkdir -p`` beneath the worktree, one component at a time through directory fds.

    Never creates anything inside a ``.git`` entry, even through a symlink that leads there.
    """
    rel_dir = _check_relative(rel_dir)
    if rel_dir == ".":
        return
    if git_component(rel_dir):
        raise PathRefused("writing inside .git is not allowed")
    done = ""
    for part in rel_dir.split("/"):
        nxt = f"{done}/{part}" if done else part
        try:
            fd = open_beneath(worktree, nxt, os.O_PATH | os.O_DIRECTORY)
        except FileNotFoundError:
            pfd = open_beneath(worktree, done or ".", os.O_PATH | os.O_DIRECTORY)
            try:
                if git_component(resolved_relpath(worktree, pfd)):
                    raise PathRefused("writing inside .git is not allowed") from None
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=pfd)
            finally:
                os.close(pfd)
        else:
            try:
                if git_component(resolved_relpath(worktree, fd)):
                    raise PathRefused("writing inside .git is not allowed")
            finally:
                os.close(fd)
        done = nxt


def is_regular(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)


class SmallFileRefused(ValueError):
    """A small settings file beneath a worktree cannot be read; the message says why."""


def read_small_beneath(worktree: Path, rel: str, limit: int) -> str | None:
    """A small text file beneath ``worktree`` (never through a link), None when absent;
    SmallFileRefused when it cannot be read, is not a regular file, or exceeds ``limit``."""
    try:
        fd = open_beneath(worktree, rel, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except (OSError, PathRefused) as exc:
        raise SmallFileRefused(f"{rel}: cannot be read ({exc})") from None
    try:
        if not is_regular(fd):
            raise SmallFileRefused(f"{rel}: not a regular file")
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SmallFileRefused(f"{rel}: larger than {limit} bytes")
    return data.decode("utf-8", "replace")
