"""What a Node repository declares its test environment needs: ``package.json`` and its lock
file. Pure.

With a lock (``package-lock.json`` or ``npm-shrinkwrap.json``) the environment is exactly the
lock (``npm ci``); with a ``pnpm-lock.yaml`` instead, pnpm installs it frozen (a pnpm release
that reads its lockfile version, fetched from the registry like any package); without a lock,
npm resolves ``package.json`` itself (``npm install``), which the description says. As for
Python, where packages come from is the platform's setting: a dependency given as a git, file,
link or URL spec, and a lock entry resolved from any host but the platform's registry, are
refused with the file and the package.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from shared.envspec import PrepareError

LOCKS = ("npm-shrinkwrap.json", "package-lock.json")
PNPM_LOCK = "pnpm-lock.yaml"
# The pnpm that installs a lockfile of each major version frozen (pnpm 9 writes '9.0').
PNPM_FOR_LOCKFILE = {"9": "9.15.9"}
SECTIONS = ("dependencies", "devDependencies", "optionalDependencies")
PUBLIC_REGISTRY = "registry.npmjs.org"  # npm puts the configured registry in its place
_NOT_FROM_REGISTRY = (
    *("git+", "git:", "github:", "gitlab:", "bitbucket:", "http:", "https:"),
    *("file:", "link:", "portal:", "workspace:"),
)

Read = Callable[[str], str | None]


@dataclass
class NodeDeclared:
    """A Node repository's declared environment (``needed`` False: nothing to install)."""

    lock: str | None = None
    pnpm: str | None = None  # the pnpm release that installs a pnpm lock, when that is the lock
    dependencies: int = 0
    files: list[str] = field(default_factory=list)
    contents: dict[str, str] = field(default_factory=dict)

    @property
    def needed(self) -> bool:
        return self.dependencies > 0

    def key(self, node: str) -> str:
        """The dependency files' content and the Node version: one environment each."""
        h = hashlib.sha256(f"node\0{node}".encode())
        for name in sorted(self.contents):
            h.update(f"\0{name}\0{self.contents[name]}".encode())
        return "node-" + h.hexdigest()[:24]

    def describe(self) -> str:
        how = f"npm ci from {self.lock}" if self.lock else "npm install (no lock file)"
        if self.pnpm:
            how = f"pnpm {self.pnpm} install --frozen-lockfile from {self.lock}"
        return f"package.json ({how})"


def _json(name: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PrepareError(f"{name}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PrepareError(f"{name}: not a JSON object")
    return data


def _spec_refused(spec: str) -> bool:
    """A dependency spec that names where to get the package from instead of a version."""
    spec = spec.strip()
    if spec.startswith("npm:"):  # an alias: npm:other@range, from the registry
        return False
    if spec.startswith(_NOT_FROM_REGISTRY):
        return True
    # "user/repo" or "user/repo#ref": a GitHub shorthand (a scoped name never appears here)
    return "/" in spec.split("#", 1)[0] and not spec.startswith(("<", ">", "=", "~", "^"))


def _check_lock(name: str, data: dict[str, Any], registry_host: str) -> None:
    packages = data.get("packages")
    entries = packages.items() if isinstance(packages, dict) else ()
    allowed = {PUBLIC_REGISTRY, registry_host}
    for path, entry in entries:
        if not path or not isinstance(entry, dict):
            continue
        if entry.get("link"):
            raise PrepareError(f"{name}: {path} is a link to a local package: refused")
        resolved = entry.get("resolved")
        if resolved is None:
            continue
        host = urlsplit(str(resolved)).hostname if "://" in str(resolved) else None
        if host not in allowed:
            raise PrepareError(
                f"{name}: {path} is resolved from {resolved!r}: only the platform's registry "
                "(DEVFORGE_PREPARE_NPM_REGISTRY) is allowed"
            )


def _check_pnpm_lock(text: str, registry_host: str) -> str:
    """The pnpm release for a ``pnpm-lock.yaml``, after refusing what the registry does not
    serve: a tarball from another host, a git repository, a local directory or a link."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PrepareError(f"{PNPM_LOCK}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise PrepareError(f"{PNPM_LOCK}: not a mapping")
    version = str(data.get("lockfileVersion", "")).split(".", 1)[0]
    pnpm = PNPM_FOR_LOCKFILE.get(version)
    if pnpm is None:
        raise PrepareError(
            f"{PNPM_LOCK}: lockfileVersion {data.get('lockfileVersion')!r} is not supported "
            f"(supported: {', '.join(f'{v}.x' for v in PNPM_FOR_LOCKFILE)})"
        )
    allowed = {PUBLIC_REGISTRY, registry_host}
    packages = data.get("packages") or {}
    for name, entry in packages.items() if isinstance(packages, dict) else ():
        res = entry.get("resolution") if isinstance(entry, dict) else None
        res = res if isinstance(res, dict) else {}
        if "directory" in res or "repo" in res or res.get("type") in ("git", "directory"):
            raise PrepareError(f"{PNPM_LOCK}: {name} is not from the registry: refused")
        tarball = str(res.get("tarball", ""))
        if tarball and urlsplit(tarball).hostname not in allowed:
            raise PrepareError(
                f"{PNPM_LOCK}: {name} is resolved from {tarball!r}: only the platform's "
                "registry (DEVFORGE_PREPARE_NPM_REGISTRY) is allowed"
            )
    importers = data.get("importers") or {}
    for where, importer in importers.items() if isinstance(importers, dict) else ():
        for section in SECTIONS:
            deps = importer.get(section) if isinstance(importer, dict) else None
            for dep, spec in (deps or {}).items() if isinstance(deps, dict) else ():
                got = str(spec.get("version", "")) if isinstance(spec, dict) else str(spec)
                if got.startswith(("link:", "file:")):
                    raise PrepareError(f"{PNPM_LOCK}: {where} {dep} is {got!r}: refused")
    return pnpm


def node_declared(read: Read, registry_host: str = PUBLIC_REGISTRY) -> NodeDeclared | None:
    """The repository's Node environment, or None without a ``package.json``."""
    text = read("package.json")
    if text is None:
        return None
    d = NodeDeclared(files=["package.json"], contents={"package.json": text})
    manifest = _json("package.json", text)
    for section in SECTIONS:
        deps = manifest.get(section) or {}
        if not isinstance(deps, dict):
            raise PrepareError(f"package.json: {section} is not an object")
        for dep, spec in deps.items():
            if not isinstance(spec, str) or _spec_refused(spec):
                raise PrepareError(
                    f"package.json {section}: {dep} {spec!r} is not a version from the "
                    "registry: git, file, link and URL dependencies are refused"
                )
        d.dependencies += len(deps)
    for lock in LOCKS:
        if (lock_text := read(lock)) is not None:
            _check_lock(lock, _json(lock, lock_text), registry_host)
            d.lock = lock
            d.files.append(lock)
            d.contents[lock] = lock_text
            break
    if d.lock is None and (pnpm_text := read(PNPM_LOCK)) is not None:
        d.pnpm = _check_pnpm_lock(pnpm_text, registry_host)
        d.lock = PNPM_LOCK
        d.files.append(PNPM_LOCK)
        d.contents[PNPM_LOCK] = pnpm_text
    return d
