"""Run a command in a bubblewrap sandbox: no network, writes only in the worktree, clean env.

``run_sandboxed(command, worktree, ...)`` starts ``bwrap`` with every namespace unshared (so no
network: only a loopback of its own), all capabilities dropped, an unprivileged user of its own
when user namespaces are available, read-only ``/usr`` (with the ``/bin``, ``/lib``... links) and
the few ``/etc`` files programs need to start (no ``/root``, no ``$HOME``, no ``/etc/shadow``, no
tool configs that might hold tokens), the Python toolchain read-only, a private ``/tmp``,
``/proc`` and ``/dev``, the worktree read-write but its ``.git`` read-only (so nothing in the
sandbox can plant hooks or config that later run outside it), and an environment built from
scratch. Limits: wall-clock time (the whole process tree is killed), address space, file size,
output size. Cancelling the awaiting task kills the sandbox too.

Without ``bwrap`` it refuses (:class:`SandboxUnavailable`), unless
``DEVFORGE_UNSAFE_LOCAL_SANDBOX=1`` is set outside CI, which runs the command unsandboxed (same
clean environment and limits) with a loud warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared import testcmd
from shared.testcmd import PYTEST

__all__ = [
    "MAX_OUTPUT_BYTES",
    "Result",
    "SandboxUnavailable",
    "bwrap_argv",
    "detect_coverage_command",
    "detect_lint_command",
    "detect_test_command",
    "run_sandboxed",
    "sandbox_env",
    "toolchain_dirs",
]

log = logging.getLogger(__name__)

MAX_OUTPUT_BYTES = 64 * 1024
SANDBOX_UID = 1000
_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/etc/alternatives",
    "/etc/mime.types",
)
_ETC_NETWORK_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/ssl", "/etc/ca-certificates")


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here (and running unsandboxed is not allowed)."""


@dataclass(frozen=True)
class Result:
    exit_code: int  # -signal when killed by a signal
    output: str  # stdout and stderr, interleaved, bounded
    truncated: bool
    timed_out: bool
    duration_s: float = 0.0

    def render(self) -> str:
        """A short header and the output, as a tool returns it."""
        head = "timed out (killed)" if self.timed_out else f"exit code {self.exit_code}"
        note = ", output truncated" if self.truncated else ""
        return f"[{head}{note}, {self.duration_s:.1f}s]\n{self.output}"


def toolchain_dirs() -> list[Path]:
    """Directories of this interpreter (virtualenv and its base) to mount read-only."""
    dirs: list[Path] = []
    for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        real = Path(p).resolve()
        if real == Path("/usr") or Path("/usr") in real.parents or real == Path("/"):
            continue
        dirs.append(real)
    extra = os.environ.get("DEVFORGE_SANDBOX_TOOLCHAIN", "")
    dirs.extend(Path(d).resolve() for d in extra.split(":") if d.strip())
    # the innermost first would be hidden by an outer bind: mount outer before inner
    return sorted(set(dirs), key=lambda d: len(d.parts))


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def sandbox_env(env_extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed command: nothing from the service's environment."""
    venv_bin = Path(sys.prefix).resolve() / "bin"
    env = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "USER": "sandbox",
        "LOGNAME": "sandbox",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "npm_config_update_notifier": "false",
        "npm_config_cache": "/tmp/.npm",
        "COVERAGE_FILE": "/tmp/.coverage",
    }
    env.update(env_extra or {})
    return env


def _git_dirs(worktree: Path) -> tuple[list[Path], list[Path]]:
    """(paths to mount read-only over the worktree's .git, linked-worktree git dirs outside)."""
    dotgit = worktree / ".git"
    if dotgit.is_symlink() or not dotgit.exists():
        return [], []
    if dotgit.is_dir():
        return [dotgit], []
    inside = [dotgit]
    outside: list[Path] = []
    try:
        first = dotgit.read_text().splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return inside, outside
    if first.startswith("gitdir:"):
        gitdir = (worktree / first.removeprefix("gitdir:").strip()).resolve()
        if gitdir.is_dir():
            outside.append(gitdir)
            common = gitdir / "commondir"
            if common.is_file():
                cdir = (gitdir / common.read_text().strip()).resolve()
                if cdir.is_dir():
                    outside.append(cdir)
    return inside, outside


@functools.lru_cache(maxsize=4)
def _userns_works(bwrap: str) -> bool:
    try:
        done = subprocess.run(
            [bwrap, "--unshare-user", "--uid", str(SANDBOX_UID), "--ro-bind", "/", "/", "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def bwrap_argv(
    bwrap: str,
    worktree: Path,
    env: Mapping[str, str],
    *,
    network: bool = False,
    ro_binds: Sequence[Path] = (),
    rw_binds: Sequence[Path] = (),
    worktree_writable: bool = True,
    git_writable: bool = False,
    ro_mounts: Sequence[tuple[Path, Path]] = (),
    rw_mounts: Sequence[tuple[Path, Path]] = (),
) -> list[str]:
    """The bwrap command line (without the command to run). ``ro_mounts`` and ``rw_mounts``:
    (source, place) pairs mounted read-only or writable after the worktree, so a place may be
    inside it."""
    argv = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if _userns_works(bwrap):
        argv += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    if network:
        argv.append("--share-net")
    argv += ["--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "lib32", "libx32", "sbin"):
        p = Path("/") / name
        if p.is_symlink():
            argv += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            argv += ["--ro-bind", str(p), str(p)]
    etc = list(_ETC_FILES) + (list(_ETC_NETWORK_FILES) if network else [])
    for f in etc:
        if os.path.lexists(f):
            argv += ["--ro-bind", f, f]
    # /tmp first: a worktree or toolchain under /tmp is then bound on top of the fresh tmpfs
    argv += ["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    for d in [*toolchain_dirs(), *ro_binds]:
        if d.exists():
            argv += ["--ro-bind", str(d), str(d)]
    for d in rw_binds:
        argv += ["--bind", str(d), str(d)]
    wt = str(worktree)
    argv += ["--bind" if worktree_writable else "--ro-bind", wt, wt]
    inside, outside = _git_dirs(worktree)
    if not git_writable:
        for p in inside:
            argv += ["--ro-bind", str(p), str(p)]
    for p in outside:
        argv += ["--bind" if git_writable else "--ro-bind", str(p), str(p)]
    for source, place in ro_mounts:
        argv += ["--ro-bind", str(source), str(place)]
    for source, place in rw_mounts:
        argv += ["--bind", str(source), str(place)]
    argv += ["--remount-ro", "/", "--chdir", wt, "--clearenv"]
    for k, v in env.items():
        argv += ["--setenv", k, v]
    argv.append("--")
    return argv


def _limits(memory_mb: int, file_mb: int) -> Callable[[], None]:
    def apply() -> None:
        mem = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        fsize = file_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _unsafe_allowed() -> bool:
    return os.environ.get("DEVFORGE_UNSAFE_LOCAL_SANDBOX") == "1" and not os.environ.get("CI")


class _Output:
    """Keeps the head and the tail of a stream, counting what was dropped."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            extra = len(self.tail) - self.tail_limit
            if extra > 0:
                del self.tail[:extra]
                self.dropped += extra

    def text(self) -> str:
        """The output as text, without terminal colour and cursor codes (a repository's own
        ``--color=yes`` beats ``NO_COLOR``; the codes only cost tokens and break parsing)."""
        head = _ANSI.sub("", self.head.decode("utf-8", "replace"))
        tail = _ANSI.sub("", self.tail.decode("utf-8", "replace"))
        if self.dropped:
            return f"{head}\n[... {self.dropped} bytes of output omitted ...]\n{tail}"
        return head + tail


def _command_line(
    command: Sequence[str] | str,
    worktree: str | Path,
    *,
    env_extra: Mapping[str, str] | None,
    network: bool,
    ro_binds: Sequence[str | Path],
    rw_binds: Sequence[str | Path] = (),
    worktree_writable: bool,
    git_writable: bool,
    ro_mounts: Sequence[tuple[Path, Path]] = (),
    rw_mounts: Sequence[tuple[Path, Path]] = (),
) -> tuple[list[str], str | None, dict[str, str]]:
    """(argv, cwd, environment) of the process to start."""
    wt = Path(worktree).resolve(strict=True)
    if not wt.is_dir():
        raise NotADirectoryError(str(wt))
    argv = ["/bin/bash", "-c", command] if isinstance(command, str) else list(command)
    if not argv:
        raise ValueError("empty command")
    env = sandbox_env(env_extra)
    bwrap = shutil.which("bwrap")
    if bwrap is not None:
        full = bwrap_argv(
            bwrap,
            wt,
            env,
            network=network,
            ro_binds=[Path(p).resolve() for p in ro_binds],
            rw_binds=[Path(p).resolve(strict=True) for p in rw_binds],
            worktree_writable=worktree_writable,
            git_writable=git_writable,
            ro_mounts=[(Path(s).resolve(strict=True), Path(p)) for s, p in ro_mounts],
            rw_mounts=[(Path(s).resolve(strict=True), Path(p)) for s, p in rw_mounts],
        )
        return [*full, *argv], None, {}
    if os.environ.get("DEVFORGE_UNSAFE_LOCAL_SANDBOX") == "1" and os.environ.get("CI"):
        raise SandboxUnavailable("bwrap not found; unsafe local runs are never allowed in CI")
    if _unsafe_allowed():
        msg = "bwrap not found: running UNSANDBOXED (DEVFORGE_UNSAFE_LOCAL_SANDBOX=1)"
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
        log.warning("!!! %s: %s", msg, argv[0])
        return argv, str(wt), env
    raise SandboxUnavailable("bwrap not found on PATH; refusing to run commands unsandboxed")


async def run_sandboxed(
    command: Sequence[str] | str,
    worktree: str | Path,
    *,
    timeout_s: float = 600.0,
    memory_mb: int = 4096,
    env_extra: Mapping[str, str] | None = None,
    network: bool = False,
    ro_binds: Sequence[str | Path] = (),
    rw_binds: Sequence[str | Path] = (),
    worktree_writable: bool = True,
    git_writable: bool = False,
    max_output: int = MAX_OUTPUT_BYTES,
    file_mb: int = 1024,
    ro_mounts: Sequence[tuple[Path, Path]] = (),
    rw_mounts: Sequence[tuple[Path, Path]] = (),
) -> Result:
    """Run ``command`` (argv, or a string for ``bash -c``) in the worktree, sandboxed.

    Raises SandboxUnavailable when bwrap is missing and unsafe local runs are not allowed.
    """
    full, cwd, run_env = _command_line(
        command,
        worktree,
        env_extra=env_extra,
        network=network,
        ro_binds=ro_binds,
        rw_binds=rw_binds,
        worktree_writable=worktree_writable,
        git_writable=git_writable,
        ro_mounts=ro_mounts,
        rw_mounts=rw_mounts,
    )
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *full,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=cwd,
        env=run_env,
        start_new_session=True,
        preexec_fn=_limits(memory_mb, file_mb),
    )
    out = _Output(max_output)
    timed_out = False

    async def pump() -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(65536):
            out.add(chunk)

    try:
        await asyncio.wait_for(asyncio.gather(pump(), proc.wait()), timeout_s)
    except TimeoutError:
        timed_out = True
    finally:
        if proc.returncode is None:
            _kill_group(proc.pid)
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.wait_for(proc.wait(), 10))
    code = proc.returncode if proc.returncode is not None else -signal.SIGKILL
    return Result(
        exit_code=code,
        output=out.text(),
        truncated=out.dropped > 0,
        timed_out=timed_out,
        duration_s=time.monotonic() - started,
    )


def _kill_group(pid: int) -> None:
    """SIGKILL the sandbox's process group (bwrap's pid namespace takes every child with it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- gate detection


def _read_worktree_file(worktree: Path, rel: str, limit: int = 1 << 20) -> str | None:
    from shared.executor import PathRefused, is_regular, open_beneath

    try:
        fd = open_beneath(worktree, rel, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, PathRefused):
        return None
    try:
        if not is_regular(fd):
            return None
        return os.read(fd, limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def _npm_scripts(worktree: Path) -> dict[str, str]:
    text = _read_worktree_file(worktree, "package.json")
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return {}
    return {str(k): str(v) for k, v in scripts.items()}


def _has_python_tests(worktree: Path) -> bool:
    for dirpath, dirnames, filenames in os.walk(worktree):
        dirnames[:] = [
            d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "venv")
        ]
        for f in filenames:
            if f.endswith(".py") and (f.startswith("test_") or f.endswith("_test.py")):
                return True
        if Path(dirpath) == worktree and "conftest.py" in filenames:
            return True
    return False


def _is_python_project(worktree: Path) -> bool:
    markers = ("pyproject.toml", "setup.py", "setup.cfg")
    return any((worktree / m).is_file() for m in markers) or _has_python_tests(worktree)


def detect_test_command(worktree: str | Path) -> list[str] | None:
    """The repository's test command: the one its tox, nox or Makefile runs (read, not run:
    ``shared.testcmd``), else pytest when it has Python tests, else ``npm test``."""
    wt = Path(worktree)
    found = testcmd.discover(lambda name: _read_worktree_file(wt, name))
    if found is not None:
        return found[0]
    if _has_python_tests(wt):
        return list(PYTEST)
    scripts = _npm_scripts(wt)
    test = scripts.get("test", "")
    if test and "no test specified" not in test:
        return ["npm", "test", "--silent"]
    return None


def detect_coverage_command(worktree: str | Path, threshold: float | None) -> list[str] | None:
    wt = Path(worktree)
    if _has_python_tests(wt):
        cmd = [*PYTEST, "--cov=.", "--cov-report=term"]
        if threshold is not None:
            cmd.append(f"--cov-fail-under={threshold:g}")
        return cmd
    if "coverage" in _npm_scripts(wt):
        return ["npm", "run", "--silent", "coverage"]
    return None


def detect_lint_command(worktree: str | Path) -> list[str] | None:
    wt = Path(worktree)
    if _is_python_project(wt):
        return ["ruff", "check", "--no-cache", "--output-format", "concise", "."]
    if "lint" in _npm_scripts(wt):
        return ["npm", "run", "--silent", "lint"]
    return None
