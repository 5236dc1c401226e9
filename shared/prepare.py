"""The prepare phase: install a repository's declared, pinned test dependencies into a cached
environment outside its worktree, with egress only to allowlisted package registries.

How the egress limit is enforced (not advised): the installer runs in the usual bubblewrap
sandbox, which has no network at all (a network namespace with only its own loopback). A unix
socket bound into the sandbox is its one way out: inside, ``socat`` turns it into a proxy port
on the sandbox's loopback; outside, ``socat`` forwards it to a ``tinyproxy`` that refuses every
host not on the allowlist (``FilterDefaultDeny``) and tunnels TLS only to port 443. A process in
the sandbox that ignores the proxy settings has nowhere to connect to.

The environment is keyed by the tenant and a hash of the requirements and the interpreter, built
in a temporary directory and renamed into place, so concurrent jobs share it and a half-built
one is never used. Later sandboxed commands mount it read-only (``mounts_for``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from shared.ids import check_tenant
from shared.sandbox import Result, SandboxUnavailable, run_sandboxed, sandbox_env

# Looked for at the worktree's root, in this order; every one present is installed.
REQUIREMENT_FILES = ("requirements.txt", "requirements-test.txt", "requirements-dev.txt")
MAX_REQUIREMENTS_BYTES = 256 * 1024
INNER_PROXY_PORT = 3128
DEFAULT_ALLOWLIST = ("pypi.org", "files.pythonhosted.org")
DEFAULT_INDEX = "https://pypi.org/simple"


class PrepareError(ValueError):
    """The declared dependencies cannot be prepared (unpinned, unsupported, unreadable)."""


@dataclass(frozen=True)
class PrepareConfig:
    envs_dir: Path  # $DEVFORGE_HOME/envs: one directory per tenant, one environment per hash
    index_url: str = DEFAULT_INDEX
    allowlist: tuple[str, ...] = DEFAULT_ALLOWLIST
    timeout_s: float = 600.0

    def to_env(self) -> dict[str, str]:
        """How an MCP server process is told (environment variables)."""
        return {
            "DEVFORGE_ENVS_DIR": str(self.envs_dir),
            "DEVFORGE_PREPARE_INDEX_URL": self.index_url,
            "DEVFORGE_PREPARE_ALLOWLIST": ",".join(self.allowlist),
            "DEVFORGE_PREPARE_TIMEOUT": str(self.timeout_s),
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
        )


@dataclass
class Declared:
    """The pinned requirements a repository declares (empty: nothing to prepare)."""

    requirements: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def key(self) -> str:
        text = "\n".join(sorted(set(self.requirements)))
        impl = f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}"
        return hashlib.sha256(f"{impl}\n{text}".encode()).hexdigest()[:24]


def parse_requirements(name: str, text: str) -> list[str]:
    """The requirement lines of one file, each pinned with ``==``; anything else is refused.

    Options (``--index-url``, ``-e``, ``-c`` ...) are refused: where packages come from is the
    platform's setting, not the repository's. ``-r`` of another declared file is allowed (those
    files are read anyway)."""
    out: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        where = f"{name} line {number}"
        if line.startswith("-"):
            parts = line.split()
            if parts[0] in ("-r", "--requirement") and parts[1:] and parts[1] in REQUIREMENT_FILES:
                continue
            raise PrepareError(f"{where}: option {parts[0]!r} is not supported")
        try:
            req = Requirement(line.split(" --hash", 1)[0].strip())
        except InvalidRequirement as exc:
            raise PrepareError(f"{where}: not a requirement ({exc})") from None
        specs = list(req.specifier)
        if req.url or len(specs) != 1 or specs[0].operator not in ("==", "==="):
            raise PrepareError(f"{where}: {line!r} is not pinned (use name==version)")
        if "*" in specs[0].version:
            raise PrepareError(f"{where}: {line!r} is not pinned to one version")
        out.append(str(req))
    return out


def declared(files: dict[str, str]) -> Declared:
    """What the repository declares, from the contents of its requirement files by name."""
    d = Declared()
    for name in REQUIREMENT_FILES:
        if name in files:
            d.requirements += parse_requirements(name, files[name])
            d.files.append(name)
    return d


def env_path(config: PrepareConfig, tenant: str, decl: Declared) -> Path:
    return config.envs_dir / check_tenant(tenant) / decl.key()


def mounts_for(env: Path) -> tuple[list[Path], dict[str, str]]:
    """(read-only mounts, environment) that make a prepared environment usable in the sandbox."""
    path = f"{env / 'bin'}:{sandbox_env()['PATH']}"
    return [env], {"PYTHONPATH": str(env), "PATH": path}


def read_declared(root: Path) -> Declared:
    """The worktree's declared requirements (files read beneath the root, never via links)."""
    from shared.executor import PathRefused, is_regular, open_beneath

    files: dict[str, str] = {}
    for name in REQUIREMENT_FILES:
        try:
            fd = open_beneath(root, name, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            continue
        except (OSError, PathRefused) as exc:
            raise PrepareError(f"{name}: cannot be read ({exc})") from None
        try:
            if not is_regular(fd):
                raise PrepareError(f"{name}: not a regular file")
            data = os.read(fd, MAX_REQUIREMENTS_BYTES + 1)
        finally:
            os.close(fd)
        if len(data) > MAX_REQUIREMENTS_BYTES:
            raise PrepareError(f"{name}: larger than {MAX_REQUIREMENTS_BYTES} bytes")
        files[name] = data.decode("utf-8", "replace")
    return declared(files)


def environment_for(
    config: PrepareConfig, tenant: str, root: Path
) -> tuple[list[Path], dict[str, str]]:
    """(read-only mounts, environment) of the environment prepared for the worktree's current
    requirements; nothing when none is declared or it was not built."""
    try:
        decl = read_declared(root)
    except PrepareError:
        return [], {}
    env = env_path(config, tenant, decl)
    return mounts_for(env) if decl.requirements and env.is_dir() else ([], {})


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
    return binds, ({"PIP_CERT": str(bundle)} if bundle.exists() else {})


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


async def run_with_egress(
    argv: Sequence[str],
    worktree: Path,
    *,
    allowlist: Sequence[str],
    writable: Sequence[Path] = (),
    timeout_s: float = 600.0,
    env_extra: dict[str, str] | None = None,
) -> Result:
    """Run ``argv`` sandboxed (worktree read-only) with ``HTTP(S)_PROXY`` set to the only way
    out: an allowlisting proxy."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("the prepare phase needs bubblewrap (no unsandboxed installs)")
    proxy_url = f"http://127.0.0.1:{INNER_PROXY_PORT}"
    env = {
        "HTTP_PROXY": proxy_url,
        "HTTPS_PROXY": proxy_url,
        "http_proxy": proxy_url,
        "https_proxy": proxy_url,
        "NO_PROXY": "",
        **(env_extra or {}),
    }
    ca, ca_env = _ca_store()
    env = {**ca_env, **env}
    async with egress_proxy(allowlist) as sock_dir:
        script = _INNER.format(port=INNER_PROXY_PORT)
        return await run_sandboxed(
            ["/bin/bash", "-c", script, "prepare", str(sock_dir), *argv],
            worktree,
            timeout_s=timeout_s,
            env_extra=env,
            ro_binds=ca,
            rw_binds=[sock_dir, *writable],
            worktree_writable=False,
        )


def _begin(config: PrepareConfig, tenant: str, decl: Declared) -> tuple[Path, Path | None]:
    """(the environment's place, a fresh build directory beside it; None when it exists)."""
    target = env_path(config, tenant, decl)
    if target.is_dir():
        return target, None
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    (building / ".requirements.txt").write_text("\n".join(decl.requirements) + "\n")
    return target, building


def _finish(building: Path, target: Path) -> None:
    """Seal a built environment and move it into place (or drop it for an equal one)."""
    (building / ".requirements.txt").unlink()
    for p in [building, *building.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode & ~0o022)  # nobody else may change it from now on
    try:
        building.rename(target)
    except OSError:
        if not target.is_dir():  # lost a race to an equal environment: that one is used
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _installer(config: PrepareConfig, building: Path) -> list[str]:
    argv = [sys.executable, "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
    argv += ["--no-cache-dir", "--target", str(building), "--index-url", config.index_url]
    argv += ["-r", str(building / ".requirements.txt")]
    host = urlsplit(config.index_url).hostname
    if config.index_url.startswith("http://") and host:
        argv += ["--trusted-host", host]  # a plain-HTTP mirror on the allowlist
    return argv


async def prepare(
    config: PrepareConfig, tenant: str, worktree: Path, decl: Declared
) -> tuple[Path, bool, Result | None]:
    """(environment, built now?, installer result). Cached: an existing environment is reused."""
    target, building = await asyncio.to_thread(_begin, config, tenant, decl)
    if building is None:
        return target, False, None
    try:
        result = await run_with_egress(
            _installer(config, building),
            worktree,
            allowlist=config.allowlist,
            writable=[building],
            timeout_s=config.timeout_s,
        )
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, building, True)
        raise
    if result.exit_code != 0 or result.timed_out:
        await asyncio.to_thread(shutil.rmtree, building, True)
        raise PrepareError(f"installing the declared dependencies failed: {result.render()}")
    await asyncio.to_thread(_finish, building, target)
    return target, True, result
