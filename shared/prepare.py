"""The prepare phase: build a repository's own test environment (a virtualenv made by uv, from
what ``shared.envspec`` reads in its files) outside its worktree, with egress only to
allowlisted package registries.

How the egress limit is enforced (not advised): the installer runs in the usual bubblewrap
sandbox, which has no network at all (a network namespace with only its own loopback). A unix
socket bound into the sandbox is its one way out: inside, ``socat`` turns it into a proxy port
on the sandbox's loopback; outside, ``socat`` forwards it to a ``tinyproxy`` that refuses every
host not on the allowlist (``FilterDefaultDeny``) and tunnels TLS only to port 443. A process in
the sandbox that ignores the proxy settings has nowhere to connect to.

The environment is keyed by the tenant, the repository, a hash of the dependency files and the
interpreter (``shared.interpreters``), built in a temporary directory and renamed into place, so
concurrent jobs share it and a half-built one is never used. uv's package cache is per tenant: a
build runs the repository's untrusted code and must not poison another tenant's packages. Later
sandboxed commands mount the environment read-only with its ``bin`` first on ``PATH``, and the
job's own code (the worktree, and its ``src`` when present) on ``PYTHONPATH``, so two jobs on one
repository each import their own change. The project itself is installed editable from one fixed
place, ``CODE_MOUNT``, where the build sees a copy of it and every later command sees its own
job's code (the worktree, or a base commit's files): its distribution metadata, entry points and
console scripts are there, pointing at the job's code, while ``PYTHONPATH`` (searched before
the environment's site-packages) decides what is imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared import repoconf
from shared.envspec import Declared, PrepareError, declared
from shared.ids import check_tenant, check_token
from shared.interpreters import available, choose
from shared.private_index import INNER_PORT as INNER_PRIVATE_PORT
from shared.private_index import PrivateIndex, forwarder
from shared.sandbox import Result, SandboxUnavailable, run_sandboxed, sandbox_env

MAX_DEPENDENCY_FILE_BYTES = 4 * 1024 * 1024  # a Node lock file runs to megabytes
INNER_PROXY_PORT = 3128
DEFAULT_ALLOWLIST = ("pypi.org", "files.pythonhosted.org", "registry.npmjs.org")
DEFAULT_INDEX = "https://pypi.org/simple"
DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/"
CODE_MOUNT = Path("/devforge/code")  # where the sandbox shows the job's code to its environment
GENERATED = "devforge-generated"  # in an environment: files its build wrote into the project
# A project versioned from git tags (setuptools-scm, hatch-vcs) is built from a copy without
# its history: it is given this version rather than failing to build.
PRETEND_VERSION = "0.0.0"


@dataclass(frozen=True)
class PrepareConfig:
    envs_dir: Path  # $DEVFORGE_HOME/envs: one directory per tenant, one environment per hash
    index_url: str = DEFAULT_INDEX
    allowlist: tuple[str, ...] = DEFAULT_ALLOWLIST
    timeout_s: float = 600.0
    npm_registry: str = DEFAULT_NPM_REGISTRY
    repo: str = "unnamed"  # the repository the environments are for (a directory each)
    private_index: PrivateIndex | None = None  # the tenant's own index, with its credentials

    def to_env(self) -> dict[str, str]:
        """How an MCP server process is told (environment variables)."""
        return {
            "DEVFORGE_ENVS_DIR": str(self.envs_dir),
            "DEVFORGE_PREPARE_INDEX_URL": self.index_url,
            "DEVFORGE_PREPARE_ALLOWLIST": ",".join(self.allowlist),
            "DEVFORGE_PREPARE_TIMEOUT": str(self.timeout_s),
            "DEVFORGE_PREPARE_NPM_REGISTRY": self.npm_registry,
            "DEVFORGE_PREPARE_REPO": self.repo,
            **(
                {
                    "DEVFORGE_PREPARE_PRIVATE_INDEX_URL": self.private_index.url,
                    "DEVFORGE_PREPARE_PRIVATE_INDEX_AUTH": self.private_index.authorization,
                }
                if self.private_index
                else {}
            ),
        }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> PrepareConfig | None:
        e = dict(os.environ) if env is None else env
        if not e.get("DEVFORGE_ENVS_DIR"):
            return None
        allow = tuple(h.strip() for h in e.get("DEVFORGE_PREPARE_ALLOWLIST", "").split(",") if h)
        return cls(
            envs_dir=Path(e["DEVFORGE_ENVS_DIR"]),
            index_url=e.get("DEVFORGE_PREPARE_INDEX_URL") or DEFAULT_INDEX,
            allowlist=allow or DEFAULT_ALLOWLIST,
            timeout_s=float(e.get("DEVFORGE_PREPARE_TIMEOUT") or 600),
            npm_registry=e.get("DEVFORGE_PREPARE_NPM_REGISTRY") or DEFAULT_NPM_REGISTRY,
            repo=e.get("DEVFORGE_PREPARE_REPO") or "unnamed",
            private_index=(
                PrivateIndex(
                    e["DEVFORGE_PREPARE_PRIVATE_INDEX_URL"],
                    e.get("DEVFORGE_PREPARE_PRIVATE_INDEX_AUTH", ""),
                )
                if e.get("DEVFORGE_PREPARE_PRIVATE_INDEX_URL")
                else None
            ),
        )

    @property
    def private_url(self) -> str | None:
        return self.private_index.url if self.private_index else None


def repo_envs(config: PrepareConfig, tenant: str) -> Path:
    """Where one tenant's environments of one repository live (keyed further by content)."""
    return config.envs_dir / check_tenant(tenant) / check_token(config.repo, "repository")


def env_path(config: PrepareConfig, tenant: str, decl: Declared, interpreter: str) -> Path:
    return repo_envs(config, tenant) / decl.key(interpreter)


def code_paths(tree: Path) -> str:
    """The job's own code on the import path: the tree, and its ``src`` layout when present."""
    return ":".join(str(p) for p in (tree, tree / "src") if p.is_dir())


@dataclass(frozen=True)
class Mounted:
    """What makes a prepared environment usable in the sandbox: read-only binds, (source,
    place) mounts and environment variables."""

    binds: list[Path]
    mounts: list[tuple[Path, Path]]
    env: dict[str, str]


NOTHING = Mounted([], [], {})


def place_generated(env: Path, tree: Path) -> list[str]:
    """Copy the files the environment's build generated into ``tree`` where they are missing
    (and, in a git checkout, ignored by git: never a file the repository tracks or would):
    written beneath the tree only, never through a link. Returns the paths placed."""
    from shared.executor import PathRefused, open_beneath

    kept = env / GENERATED
    if not kept.is_dir():
        return []
    placed = []
    for source in sorted(p for p in kept.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = str(source.relative_to(kept))
        if (tree / rel).exists() or not _ignored(tree, rel):
            continue
        try:
            fd = open_beneath(tree, rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except (OSError, PathRefused):
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(source.read_bytes())
        placed.append(rel)
    return placed


def _ignored(tree: Path, rel: str) -> bool:
    """Would git ignore ``rel`` in ``tree``? (Not a git checkout: nothing to protect.)"""
    if not (tree / ".git").exists():
        return True
    done = subprocess.run(
        ["git", "-C", str(tree), "check-ignore", "-q", "--", rel],
        capture_output=True,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"},
    )
    return done.returncode == 0


def mounts_for(env: Path, tree: Path) -> Mounted:
    """The environment read-only, and ``tree`` (the job's code) at ``CODE_MOUNT`` and on the
    import path, with the files the build generated placed in it."""
    place_generated(env, tree)
    path = f"{env / 'bin'}:{sandbox_env()['PATH']}"
    return Mounted(
        [env, *_interpreter_prefix(env)],
        [(tree, CODE_MOUNT)],
        {"PATH": path, "VIRTUAL_ENV": str(env), "PYTHONPATH": code_paths(tree)},
    )


def _interpreter_prefix(env: Path) -> list[Path]:
    """The base interpreter's installation the environment links to, unless /usr has it."""
    try:
        cfg = (env / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return []
    for line in cfg.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            prefix = Path(value.strip()).resolve().parent
            return [] if prefix == Path("/usr") or Path("/usr") in prefix.parents else [prefix]
    return []


def _reader(root: Path) -> Callable[[str], str | None]:
    from shared.executor import SmallFileRefused, read_small_beneath

    def read(name: str) -> str | None:
        try:
            return read_small_beneath(root, name, MAX_DEPENDENCY_FILE_BYTES)
        except SmallFileRefused as exc:
            raise PrepareError(str(exc)) from None

    return read


def read_declared(root: Path, private_index: str | None = None) -> Declared:
    """The worktree's declared environment (files read beneath the root, never via links),
    with the extras its ``.devforge.toml`` asks for; ``private_index``: the tenant's own index,
    which its requirement files may name."""
    try:
        config = repoconf.read(root)
    except repoconf.RepoConfigError as exc:
        raise PrepareError(str(exc)) from None
    decl = declared(_reader(root), config.extras, private_index)
    if config.extras:  # the settings choose the environment too
        decl.contents[repoconf.FILE] = ",".join(config.extras)
    return decl


def environment_for(
    config: PrepareConfig, tenant: str, root: Path, code: Path | None = None
) -> Mounted:
    """(read-only mounts, environment) of the environment prepared for the worktree's current
    dependency files, with ``code`` (the worktree by default) on the import path; nothing when
    none is needed or it was not built."""
    try:
        decl = read_declared(root, config.private_url)
        if not decl.needed:
            return NOTHING
        interpreter = choose(decl.requires_python, available())
    except PrepareError:
        return NOTHING
    env = env_path(config, tenant, decl, interpreter.path)
    return mounts_for(env, code or root) if env.is_dir() else NOTHING


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tinyproxy_config(port: int, filter_file: Path) -> str:
    return "\n".join(
        [
            f"Port {port}",
            "Listen 127.0.0.1",
            "Timeout 60",
            "MaxClients 32",
            "Allow 127.0.0.1",
            "DisableViaHeader Yes",
            "FilterDefaultDeny Yes",
            f'Filter "{filter_file}"',
            "FilterType fnmatch",
            "ConnectPort 443",
            "LogLevel Notice",
            "",
        ]
    )


async def _wait_for(path: Path, proc: asyncio.subprocess.Process, what: str) -> None:
    for _ in range(200):
        if await asyncio.to_thread(path.exists):
            return
        if proc.returncode is not None:
            raise SandboxUnavailable(f"{what} exited with {proc.returncode}")
        await asyncio.sleep(0.025)
    raise SandboxUnavailable(f"{what} did not start")


def _proxy_files(root: Path, allowlist: Sequence[str]) -> tuple[Path, Path, int]:
    """(socket directory, tinyproxy config, its port) in a fresh directory."""
    sock_dir = root / "sock"
    sock_dir.mkdir(mode=0o755)
    root.chmod(0o755)
    filt = root / "allow"
    filt.write_text("".join(f"{h.strip()}\n" for h in allowlist if h.strip()))
    port = _free_port()
    conf = root / "tinyproxy.conf"
    conf.write_text(tinyproxy_config(port, filt))
    return sock_dir, conf, port


def _ca_store() -> tuple[list[Path], dict[str, str]]:
    """The system's CA certificates (read-only) for TLS to the registries, when present."""
    binds = [p for p in (Path("/etc/ssl"), Path("/etc/ca-certificates")) if p.exists()]
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    return binds, (
        {"PIP_CERT": str(bundle), "SSL_CERT_FILE": str(bundle)} if bundle.exists() else {}
    )


@contextlib.asynccontextmanager
async def egress_proxy(allowlist: Sequence[str]) -> AsyncIterator[Path]:
    """An allowlisting proxy reachable through a unix socket; yields the socket's directory."""
    for tool in ("tinyproxy", "socat"):
        if shutil.which(tool) is None:
            raise SandboxUnavailable(f"{tool} is not installed (needed for the prepare phase)")
    with tempfile.TemporaryDirectory(prefix="devforge-egress-") as tmp:
        sock_dir, conf, port = _proxy_files(Path(tmp), allowlist)
        procs: list[asyncio.subprocess.Process] = []
        try:
            quiet = asyncio.subprocess.DEVNULL
            proxy = await asyncio.create_subprocess_exec(
                "tinyproxy", "-d", "-c", str(conf), stdout=quiet, stderr=quiet
            )
            procs.append(proxy)
            await _wait_port(port, proxy)
            sock = sock_dir / "proxy.sock"
            bridge = await asyncio.create_subprocess_exec(
                "socat",
                f"UNIX-LISTEN:{sock},fork,mode=777",
                f"TCP:127.0.0.1:{port}",
                stdout=quiet,
                stderr=quiet,
            )
            procs.append(bridge)
            await _wait_for(sock, bridge, "socat")
            yield sock_dir
        finally:
            for p in procs:
                if p.returncode is None:
                    p.kill()
                    await p.wait()


async def _wait_port(port: int, proc: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        with contextlib.suppress(OSError):
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        if proc.returncode is not None:
            raise SandboxUnavailable(f"tinyproxy exited with {proc.returncode}")
        await asyncio.sleep(0.025)
    raise SandboxUnavailable("tinyproxy did not start")


# Inside the sandbox: the proxy port on the sandbox's own loopback, then the command.
_INNER = (
    'socat TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:"$1/proxy.sock" '
    "2>/dev/null & shift; "
    "for _ in $(seq 100); do (: > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; "
    "sleep 0.05; done; "
    '"$@"; code=$?; kill %1 2>/dev/null; exit $code'
)


_INNER_PRIVATE = (  # before _INNER (which shifts "$1" away): the private index's forwarder
    'socat TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:"$1/private.sock" '
    "2>/dev/null & "
    "for _ in $(seq 100); do (: > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; "
    "sleep 0.05; done; "
)


async def run_with_egress(
    argv: Sequence[str],
    worktree: Path,
    *,
    allowlist: Sequence[str],
    writable: Sequence[Path] = (),
    timeout_s: float = 600.0,
    env_extra: dict[str, str] | None = None,
    mounts: Sequence[tuple[Path, Path]] = (),
    private: PrivateIndex | None = None,
) -> Result:
    """Run ``argv`` sandboxed (worktree read-only) with ``HTTP(S)_PROXY`` set to the only way
    out: an allowlisting proxy; and, with ``private``, the tenant's index through its forwarder
    at ``http://127.0.0.1:3129``. ``mounts``: writable (source, place) pairs."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("the prepare phase needs bubblewrap (no unsandboxed installs)")
    proxy_url = f"http://127.0.0.1:{INNER_PROXY_PORT}"
    env = {
        "HTTP_PROXY": proxy_url,
        "HTTPS_PROXY": proxy_url,
        "http_proxy": proxy_url,
        "https_proxy": proxy_url,
        "NO_PROXY": "127.0.0.1" if private else "",
        "no_proxy": "127.0.0.1" if private else "",
        **(env_extra or {}),
    }
    ca, ca_env = _ca_store()
    env = {**ca_env, **env}
    async with contextlib.AsyncExitStack() as stack:
        sock_dir = await stack.enter_async_context(egress_proxy(allowlist))
        script = _INNER.format(port=INNER_PROXY_PORT)
        if private is not None:
            await stack.enter_async_context(forwarder(private, sock_dir / "private.sock"))
            script = _INNER_PRIVATE.format(port=INNER_PRIVATE_PORT) + script
        return await run_sandboxed(
            ["/bin/bash", "-c", script, "prepare", str(sock_dir), *argv],
            worktree,
            timeout_s=timeout_s,
            env_extra=env,
            ro_binds=ca,
            rw_binds=[sock_dir, *writable],
            worktree_writable=False,
            rw_mounts=mounts,
        )


def _begin(target: Path, decl: Declared) -> Path | None:
    """A fresh build directory beside the environment's place (None when it exists), holding
    the requirement lists the installer reads."""
    if target.is_dir():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    (building / "spec").mkdir()
    (building / "spec" / "requirements.txt").write_text("\n".join(decl.install_list()) + "\n")
    (building / "spec" / "constraints.txt").write_text("\n".join(decl.constraints) + "\n")
    return building


def _finish(building: Path, target: Path, built: str = "env") -> None:
    """Seal a built environment and move it into place (or drop it for an equal one)."""
    env = building / built
    for p in [env, *env.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode & ~0o022)  # nobody else may change it from now on
    try:
        env.rename(target)
    except OSError:
        if not target.is_dir():  # lost a race to an equal environment: that one is used
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _copy_project(worktree: Path, to: Path) -> None:
    """The worktree without its git data; links are copied as links, never followed."""
    shutil.copytree(worktree, to, symlinks=True, ignore=shutil.ignore_patterns(".git"))


def uv_binary() -> str:
    """uv beside this interpreter (a dependency of DevForge's own), else on PATH."""
    own = Path(sys.prefix) / "bin" / "uv"
    found = str(own) if own.exists() else shutil.which("uv")
    if not found:
        raise SandboxUnavailable("uv is not installed (needed to build environments)")
    return found


def build_script(
    config: PrepareConfig, building: Path, worktree: Path, decl: Declared, python: str
) -> str:
    """The two installer commands: a relocatable virtualenv, then the declared packages."""
    uv = uv_binary()
    env = building / "env"
    install = [uv, "pip", "install", "--python", str(env / "bin" / "python")]
    install += ["--index-url", config.index_url, "-r", str(building / "spec" / "requirements.txt")]
    private = []
    if decl.private_index and config.private_index is not None:  # through the forwarder
        private = ["--extra-index-url", config.private_index.inner_url()]
    install += private
    if decl.constraints:
        install += ["-c", str(building / "spec" / "constraints.txt")]
    if decl.project is not None:  # a writable copy: building metadata writes beside it
        install += ["-r", str(building / "project" / decl.project)]
        for extra in decl.extras:
            install += ["--extra", extra]
    create = [uv, "venv", "--quiet", "--relocatable", "--python", python, str(env)]
    script = f"{shlex.join(create)} && {shlex.join(install)}"
    if decl.installable is None:
        return script
    # The project itself, editable from the fixed place (its dependencies are in already). A
    # project that will not build keeps its code on the import path only: said, not fatal.
    editable = [uv, "pip", "install", "--python", str(env / "bin" / "python"), "--no-deps"]
    editable += ["--index-url", config.index_url, *private, "-e", str(CODE_MOUNT)]
    pretend = f"SETUPTOOLS_SCM_PRETEND_VERSION={PRETEND_VERSION}"
    fallback = "echo 'devforge: the project itself did not install; its code is on PYTHONPATH'"
    # Python files the build wrote into the project (a version file from git tags, which the
    # repository ignores) are kept with the environment and put into each job's tree.
    marker = building / "spec" / "before-build"
    kept = env / GENERATED
    keep = (
        f"mkdir -p {shlex.quote(str(kept))} && cd {shlex.quote(str(CODE_MOUNT))} && "
        f"find . -name '*.py' -newer {shlex.quote(str(marker))} -not -path './build/*' "
        "-not -path '*/__pycache__/*' -not -path '*.egg-info/*' -type f "
        f"-exec cp --parents {{}} {shlex.quote(str(kept))}/ ';'"
    )
    install_project = f"{{ env {pretend} {shlex.join(editable)} && {keep} || {fallback}; }}"
    return f"{script} && touch {shlex.quote(str(marker))} && {install_project}"


def _uv_env(config: PrepareConfig, tenant: str) -> tuple[Path, dict[str, str]]:
    cache = config.envs_dir / check_tenant(tenant) / ".uv-cache"
    cache.mkdir(parents=True, exist_ok=True)
    return cache, {
        "UV_CACHE_DIR": str(cache),
        "UV_NO_CONFIG": "1",  # a repository's uv.toml or [tool.uv] never picks the index
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "copy",
        "UV_NO_PROGRESS": "1",
        "UV_SYSTEM_CERTS": "1",  # the system's CA store (mounted read-only), as pip uses
    }


async def prepare(
    config: PrepareConfig, tenant: str, worktree: Path, decl: Declared
) -> tuple[Path, bool, Result | None]:
    """(environment, built now?, installer result). Cached: an existing environment is reused.
    PrepareError names why it cannot be built (no interpreter, the installer failed)."""
    interpreter = choose(decl.requires_python, available())
    target = env_path(config, tenant, decl, interpreter.path)
    building = await asyncio.to_thread(_begin, target, decl)
    if building is None:
        return target, False, None
    project = building / "project"
    try:
        if decl.project is not None or decl.installable is not None:
            await asyncio.to_thread(_copy_project, worktree, project)
        cache, uv_env = await asyncio.to_thread(_uv_env, config, tenant)
        script = build_script(config, building, worktree, decl, interpreter.path)
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, building, True)
        raise
    result = await install(
        config,
        worktree,
        script,
        building,
        target,
        cache,
        uv_env,
        "the declared dependencies",
        mounts=[(project, CODE_MOUNT)] if decl.installable is not None else [],
        private=config.private_index if decl.private_index else None,
    )
    return target, True, result


async def install(
    config: PrepareConfig,
    worktree: Path,
    script: str,
    building: Path,
    target: Path,
    cache: Path,
    env: dict[str, str],
    what: str,
    built: str = "env",
    mounts: Sequence[tuple[Path, Path]] = (),
    private: PrivateIndex | None = None,
) -> Result:
    """Run an installer ``script`` through the egress proxy (writing only ``building`` and the
    tenant's ``cache``), then seal ``building/built`` into ``target``; on any failure the build
    is dropped and PrepareError names the installer's reason."""
    try:
        result = await run_with_egress(
            ["/bin/bash", "-c", script],
            worktree,
            allowlist=config.allowlist,
            writable=[building, cache],
            timeout_s=config.timeout_s,
            env_extra=env,
            mounts=mounts,
            private=private,
        )
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, building, True)
        raise
    if result.exit_code != 0 or result.timed_out:
        await asyncio.to_thread(shutil.rmtree, building, True)
        raise PrepareError(f"installing {what} failed: {_why(result)}")
    await asyncio.to_thread(_finish, building, target, built)
    return result


def _why(result: Result) -> str:
    """The installer's own reason: uv's error lines, else the output's tail, on one line."""
    if result.timed_out:
        return "the installer timed out"
    lines = [ln.strip() for ln in result.output.splitlines() if ln.strip()]
    starts = ("error:", "cause:", "Caused by:", "\u00d7", "npm error", "npm ERR!")
    errors = [ln for ln in lines if ln.startswith(starts)]
    return " ".join((errors or lines[-3:]) or [f"exit code {result.exit_code}"])[:1000]
