"""The prepare phase for a Node repository: ``npm ci`` from its lock (``shared.envspec_node``)
into an environment beside the Python ones (``shared.prepare``: the same egress proxy, the same
build-then-rename, a per-tenant package cache), and its ``node_modules`` placed in the sandbox.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from shared.envspec import PrepareError
from shared.envspec_node import NodeDeclared, node_declared
from shared.ids import check_tenant
from shared.prepare import PrepareConfig, _reader, install, repo_envs
from shared.sandbox import Result, sandbox_env

# npm never asks the network for anything but packages, and writes no logs, in any sandbox.
NPM_QUIET = {
    "npm_config_update_notifier": "false",
    "npm_config_logs_max": "0",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
}


def read_node(config: PrepareConfig, root: Path) -> NodeDeclared | None:
    """The worktree's declared Node environment (None: no package.json)."""
    return node_declared(_reader(root), urlsplit(config.npm_registry).hostname or "")


@functools.cache
def node_version() -> str:
    """The Node.js the sandbox runs (its version keys the environments built with it)."""
    node = shutil.which("node")
    if node is None:
        raise PrepareError("Node.js is not installed: a package.json cannot be prepared")
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def node_env_path(config: PrepareConfig, tenant: str, decl: NodeDeclared) -> Path:
    return repo_envs(config, tenant) / decl.key(node_version())


def node_mounts_for(env: Path, tree: Path) -> tuple[list[tuple[Path, Path]], dict[str, str]]:
    """(read-only mounts as (source, place), environment) of a prepared Node environment: its
    ``node_modules`` at the tree's own, as Node and npm look for it, its tools on ``PATH``."""
    if not _mount_point(tree / "node_modules"):
        return [], {}
    path = f"{tree / 'node_modules' / '.bin'}:{sandbox_env()['PATH']}"
    return [(env / "node_modules", tree / "node_modules")], {"PATH": path, **NPM_QUIET}


def _mount_point(place: Path) -> bool:
    """An empty directory to mount on: made when missing (git does not see an empty directory);
    never a link or a file the repository put there."""
    try:
        os.mkdir(place, 0o755)
        return True
    except FileExistsError:
        return place.is_dir() and not place.is_symlink()
    except OSError:
        return False


def node_environment_for(
    config: PrepareConfig, tenant: str, root: Path, code: Path | None = None
) -> tuple[list[tuple[Path, Path]], dict[str, str]]:
    """The Node environment prepared for the worktree's current package files, placed in
    ``code`` (the worktree by default); nothing when none is needed or it was not built."""
    try:
        decl = read_node(config, root)
        if decl is None or not decl.needed:
            return [], {}
        env = node_env_path(config, tenant, decl)
    except PrepareError:
        return [], {}
    return node_mounts_for(env, code or root) if env.is_dir() else ([], {})


def npm_script(config: PrepareConfig, project: Path, cache: Path, decl: NodeDeclared) -> str:
    """The installer command: the lock exactly (``npm ci``, or pnpm's frozen install), else what
    package.json resolves to; never a package's own install scripts."""
    registry = ["--registry", config.npm_registry]
    if decl.pnpm:  # pnpm itself from the registry; a flat node_modules, as npm lays it out
        fetch = ["npm", "exec", "--yes", "--cache", str(cache), *registry]
        pnpm = [*fetch, f"--package=pnpm@{decl.pnpm}", "--", "pnpm", "install"]
        pnpm += ["--frozen-lockfile", "--ignore-scripts", *registry]
        pnpm += ["--store-dir", str(cache / "pnpm-store"), "--config.node-linker=hoisted"]
        return f"cd {shlex.quote(str(project))} && {shlex.join(pnpm)}"
    verb = ["ci"] if decl.lock else ["install", "--no-package-lock"]
    npm = ["npm", *verb, "--ignore-scripts", "--no-audit", "--no-fund", "--cache", str(cache)]
    npm += registry
    return f"cd {shlex.quote(str(project))} && {shlex.join(npm)}"


async def prepare_node(
    config: PrepareConfig, tenant: str, worktree: Path, decl: NodeDeclared
) -> tuple[Path, bool, Result | None]:
    """(environment, built now?, installer result), as ``prepare`` for Python: cached, built
    beside its place through the allowlisting proxy, a per-tenant npm cache."""
    target = node_env_path(config, tenant, decl)
    if target.is_dir():
        return target, False, None
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        project = building / "project"
        project.mkdir()
        for name in decl.files:  # the files as read (beneath the worktree), nothing else
            (project / name).write_text(decl.contents[name], encoding="utf-8")
        cache = config.envs_dir / check_tenant(tenant) / ".npm-cache"
        cache.mkdir(parents=True, exist_ok=True)
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, building, True)
        raise
    script = npm_script(config, project, cache, decl)
    env = {"HOME": str(building), **NPM_QUIET}
    result = await install(
        config, worktree, script, building, target, cache, env, "the Node dependencies", "project"
    )
    return target, True, result
