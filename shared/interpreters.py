"""The Python interpreters on this machine, and the one a repository's ``requires-python`` picks.

Found: the interpreter DevForge itself runs on, ``python3.X`` in /usr/bin and /usr/local/bin,
and any listed in ``DEVFORGE_PYTHONS`` (colon-separated paths). Nothing is downloaded: a
repository whose ``requires-python`` none of them meets fails with a reason naming both.
"""

from __future__ import annotations

import functools
import glob
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from shared.envspec import PrepareError

__all__ = ["Interpreter", "available", "choose"]


@dataclass(frozen=True, order=True)
class Interpreter:
    version: Version
    path: str

    def __str__(self) -> str:
        return f"Python {self.version} ({self.path})"


def _candidates() -> list[str]:
    base = getattr(sys, "_base_executable", sys.executable)
    found = [base]
    for folder in ("/usr/bin", "/usr/local/bin"):
        found += sorted(glob.glob(f"{folder}/python3.[0-9]*"))
    found += [p for p in os.environ.get("DEVFORGE_PYTHONS", "").split(":") if p.strip()]
    return found


def _version(path: str) -> Version | None:
    if path.endswith(("-config", "m")) or not os.access(path, os.X_OK):
        return None
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return Version(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


@functools.cache
def available() -> tuple[Interpreter, ...]:
    """Each interpreter once (by its real path), newest first."""
    seen: dict[str, Interpreter] = {}
    for path in _candidates():
        real = str(Path(path).resolve())
        if real not in seen and (v := _version(real)) is not None:
            seen[real] = Interpreter(v, real)
    return tuple(sorted(seen.values(), reverse=True))


def choose(requires_python: str | None, found: tuple[Interpreter, ...]) -> Interpreter:
    """The newest interpreter ``requires_python`` admits; the one DevForge runs on when unset."""
    if not found:
        raise PrepareError("no Python interpreter was found on this machine")
    if not requires_python:
        own = str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())
        return next((i for i in found if i.path == own), found[0])
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        raise PrepareError(f"requires-python {requires_python!r} is not a version range") from None
    for interpreter in found:
        if spec.contains(interpreter.version, prereleases=True):
            return interpreter
    have = ", ".join(str(i.version) for i in found)
    raise PrepareError(
        f"requires-python {requires_python!r} is met by none of this machine's interpreters "
        f"(Python {have}); add one with DEVFORGE_PYTHONS"
    )
