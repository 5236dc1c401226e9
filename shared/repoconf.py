"""A repository's own settings for DevForge, in ``.devforge.toml`` at its root (all optional)::

    [tests]
    command = "python -m pytest -q tests/unit"   # or a list of arguments
    [qa]
    coverage_threshold = 50                      # percent of the changed lines
    [environment]
    extras = ["test", "socks"]                   # optional dependencies to install

The test command runs in the sandbox like the detected one; bad values are refused with the key
named. Parsing is pure; ``read`` takes the file from beneath a worktree, never through a link.
"""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FILE", "RepoConfig", "RepoConfigError", "parse", "read"]

FILE = ".devforge.toml"
MAX_BYTES = 64 * 1024


class RepoConfigError(ValueError):
    """``.devforge.toml`` is not what DevForge reads; the message names the key."""


@dataclass(frozen=True)
class RepoConfig:
    test_command: tuple[str, ...] = ()
    coverage_threshold: float | None = None
    extras: tuple[str, ...] = ()

    @property
    def runs_pytest(self) -> bool:
        """Whether the test command is pytest (test selection and coverage then apply)."""
        c = self.test_command
        return c[:1] in (("pytest",), ("py.test",)) or c[:3] == ("python", "-m", "pytest")


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise RepoConfigError(f"{FILE}: [{name}] must be a table")
    return value


def test_command(value: Any, where: str) -> tuple[str, ...]:
    """A test command as a string (split as a shell would, never run by one) or a list of
    arguments; refused, naming ``where``, when it is neither or has no program."""
    command = value
    if isinstance(command, str):
        try:
            command = shlex.split(command)
        except ValueError as exc:
            raise RepoConfigError(f"{where} cannot be split ({exc})") from None
    if not isinstance(command, (list, tuple)) or not all(isinstance(a, str) for a in command):
        raise RepoConfigError(f"{where} must be a string or a list of strings")
    if command and (not command[0].strip() or any("\x00" in a for a in command)):
        raise RepoConfigError(f"{where} has an empty program or a NUL")
    return tuple(command)


def parse(text: str) -> RepoConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RepoConfigError(f"{FILE}: not valid TOML ({exc})") from None
    command = test_command(_table(data, "tests").get("command", ()), f"{FILE}: tests.command")
    threshold = _table(data, "qa").get("coverage_threshold")
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not 0 <= threshold <= 100
    ):
        raise RepoConfigError(f"{FILE}: qa.coverage_threshold must be a number from 0 to 100")
    extras = _table(data, "environment").get("extras", [])
    if not isinstance(extras, list) or not all(isinstance(e, str) and e for e in extras):
        raise RepoConfigError(f"{FILE}: environment.extras must be a list of names")
    return RepoConfig(command, None if threshold is None else float(threshold), tuple(extras))


def read(root: Path) -> RepoConfig:
    """The worktree's settings (defaults when it has no ``.devforge.toml``)."""
    from shared.executor import SmallFileRefused, read_small_beneath

    try:
        text = read_small_beneath(root, FILE, MAX_BYTES)
    except SmallFileRefused as exc:
        raise RepoConfigError(str(exc)) from None
    return RepoConfig() if text is None else parse(text)
