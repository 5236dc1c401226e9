"""What a Node repository declares its test environment needs: ``package.json`` and its lock
file. Pure.

With a lock (``package-lock.json`` or ``npm-shrinkwrap.json``) the environment is exactly the
lock (``npm ci``); without one, npm resolves ``package.json`` itself (``npm install``), which the
description says. As for Python, where packages come from is the platform's setting: a
dependency given as a git, file, link or URL spec, and a lock entry resolved from any host but
the platform's registry, are refused with the file and the package.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from shared.envspec import PrepareError

LOCKS = ("npm-shrinkwrap.json", "package-lock.json")
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
    return d
