"""What a repository declares its test environment needs, read from its own files. Pure.

Sources, all that are present: ``pyproject.toml`` (PEP 621 ``dependencies``, the optional
dependencies of its test extras, PEP 735 dependency groups of the same names), ``setup.py`` /
``setup.cfg`` (the installer reads their metadata itself), and requirement files (with ``-r``
and ``-c`` followed inside the repository, and ``-e .`` meaning the project itself), and beside a
``pyproject.toml`` its ``uv.lock`` or ``poetry.lock``, whose versions become constraints: what
the project declares is resolved to exactly the locked versions, and packages locked for other
platforms or unused extras are simply not installed. The repository's own pins and ranges are
kept as written (their ``--hash`` options left out): old commits often need old tools.

Where packages come from is the platform's setting, never the repository's: index options
(``--index-url``, ``--extra-index-url``, ``--find-links`` ...) and direct URLs are refused with
the file and line. The project itself is never installed into the environment: its code is put
on the import path of each command (``shared.prepare``), so every job imports its own worktree.
"""

from __future__ import annotations

import configparser
import hashlib
import posixpath
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

__all__ = ["PROJECT_FILES", "REQUIREMENT_FILES", "Declared", "PrepareError", "declared"]

PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
REQUIREMENT_FILES = (
    "requirements.txt",
    "requirements-test.txt",
    "requirements-dev.txt",
    "requirements_test.txt",
    "requirements_dev.txt",
    "test-requirements.txt",
    "dev-requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/dev.txt",
)
TEST_EXTRAS = ("test", "tests", "testing", "dev")
# What QA runs with; added (unpinned, so the repository's own pins win) when not declared.
TEST_TOOLS = ("pytest", "pytest-cov")
MAX_INCLUDE_DEPTH = 5
_INDEX_OPTIONS = frozenset(
    {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "--no-index"}
)
_PRIVATE_OPTIONS = frozenset({"-i", "--index-url", "--extra-index-url"})  # naming a private one
_HARMLESS_OPTIONS = frozenset({"--pre", "--prefer-binary"})
_SELF = re.compile(r"^(?:-e|--editable)?\s*(?:file:)?\.(?:/)?(?:\[(?P<extras>[\w,\s.-]+)\])?$")
_EXTRAS_KEY = re.compile(r"""["'](test|tests|testing|dev)["']\s*:""")

Read = Callable[[str], str | None]


class PrepareError(ValueError):
    """The declared dependencies cannot be prepared (refused, unreadable, unsatisfiable)."""


@dataclass
class Declared:
    """A repository's declared test environment (``needed`` False: nothing to build)."""

    requirements: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    project: str | None = None  # a metadata file the installer must read (dynamic metadata)
    installable: str | None = None  # the project's build metadata: it is installed editable
    private_index: bool = False  # a requirement file names the tenant's private index
    extras: list[str] = field(default_factory=list)
    requires_python: str | None = None
    files: list[str] = field(default_factory=list)
    contents: dict[str, str] = field(default_factory=dict)

    @property
    def needed(self) -> bool:
        """Something beyond the test tools the platform itself provides."""
        named = {_name(r) for r in self.requirements} - {None, *TEST_TOOLS, "coverage"}
        return bool(named) or self.project is not None

    def install_list(self) -> list[str]:
        """The requirements, with the test tools added when the repository names none."""
        named = {_name(r) for r in self.requirements}
        extra = [t for t in TEST_TOOLS if t not in named]
        return [*self.requirements, *extra]

    def key(self, interpreter: str) -> str:
        """Content of every dependency file read, and the interpreter: one environment each."""
        h = hashlib.sha256(interpreter.encode())
        for name in sorted(self.contents):
            h.update(f"\0{name}\0{self.contents[name]}".encode())
        return h.hexdigest()[:24]

    def describe(self) -> str:
        extras = f" (extras: {', '.join(self.extras)})" if self.extras else ""
        return ", ".join(self.files) + extras


def _name(line: str) -> str | None:
    try:
        return canonicalize_name(Requirement(line.split(" --hash", 1)[0].strip()).name)
    except InvalidRequirement:
        return None


def _requirement(where: str, text: str) -> str:
    """One requirement as written (its ``--hash`` options left out: the platform adds test
    tools the repository did not hash, and the pin stays), refused when it names where to get
    it from."""
    text = text.split(" --hash", 1)[0].strip()
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise PrepareError(f"{where}: not a requirement ({exc})") from None
    if req.url:
        raise PrepareError(
            f"{where}: {req.name} @ {req.url}: a direct URL is refused (packages come from the "
            "platform's index, DEVFORGE_PREPARE_INDEX_URL)"
        )
    return text


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) with backslash continuations joined and comments dropped."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).split(" #", 1)[0].strip()
        pending = ""
        if full and not full.startswith("#"):
            out.append((start, " ".join(full.split())))
    return out


class _Reader:
    def __init__(self, read: Read, d: Declared, private_index: str | None = None) -> None:
        self.read, self.d, self.seen = read, d, set[str]()
        self.private_index = private_index

    def text(self, name: str) -> str | None:
        text = self.read(name)
        if text is not None and name not in self.d.contents:
            self.d.contents[name] = text
            self.d.files.append(name)
        return text

    def include(self, where: str, base: str, target: str, depth: int, constraints: bool) -> None:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(base), target))
        if target.startswith("/") or path.startswith("../") or path == "..":
            raise PrepareError(f"{where}: {target!r} is outside the repository")
        if path in self.seen:
            return
        if depth >= MAX_INCLUDE_DEPTH:
            raise PrepareError(f"{where}: requirement files nest deeper than {MAX_INCLUDE_DEPTH}")
        text = self.text(path)
        if text is None:
            raise PrepareError(f"{where}: {target!r} does not exist in the repository")
        self.requirements(path, text, depth + 1, constraints)

    def requirements(self, name: str, text: str, depth: int = 0, constraints: bool = False) -> None:
        self.seen.add(name)
        for number, line in _logical_lines(text):
            where = f"{name} line {number}"
            if (m := _SELF.match(line)) is not None:
                self.project_itself(where, m.group("extras"))
                continue
            if line.startswith("-"):
                option, _, value = line.replace("=", " ", 1).partition(" ")
                value = value.strip()
                if option in _PRIVATE_OPTIONS and self.private_index and _same(value, self):
                    self.d.private_index = True  # the tenant's own, which the platform reaches
                    continue
                if option in _INDEX_OPTIONS:
                    raise PrepareError(
                        f"{where}: {option} is refused: packages come from the platform's index "
                        "(DEVFORGE_PREPARE_INDEX_URL), not the repository's"
                    )
                if option in ("-r", "--requirement", "-c", "--constraint") and value:
                    into_constraints = constraints or option in ("-c", "--constraint")
                    self.include(where, name, value, depth, into_constraints)
                elif option not in _HARMLESS_OPTIONS:
                    raise PrepareError(f"{where}: option {option!r} is not supported")
                continue
            (self.d.constraints if constraints else self.d.requirements).append(
                _requirement(where, line)
            )

    def project_itself(self, where: str, extras: str | None) -> None:
        """``-e .``: the project's own dependencies (and the extras named), not its code."""
        if "pyproject.toml" not in self.d.contents and self.d.project is None:
            for name in ("setup.py", "setup.cfg"):
                if self.text(name) is not None:
                    self.d.project = name
                    break
            else:
                raise PrepareError(f"{where}: '-e .' but the repository has no project metadata")
        for e in (extras or "").split(","):
            if e.strip() and e.strip() not in self.d.extras:
                self.d.extras.append(e.strip())


def _groups(where: str, table: dict[str, Any], name: str, seen: set[str]) -> list[str]:
    """A PEP 735 dependency group's requirements, included groups expanded."""
    if name in seen:
        raise PrepareError(f"{where}: dependency group {name!r} includes itself")
    out: list[str] = []
    for item in table.get(name, []):
        if isinstance(item, str):
            out.append(_requirement(f"{where} [dependency-groups] {name}", item))
        elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
            out += _groups(where, table, item["include-group"], seen | {name})
        else:
            raise PrepareError(f"{where}: dependency group {name!r} has an entry {item!r}")
    return out


def _pyproject(reader: _Reader, text: str, chosen: tuple[str, ...]) -> None:
    d = reader.d
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PrepareError(f"pyproject.toml: not valid TOML ({exc})") from None
    project = data.get("project")
    if isinstance(project, dict) or isinstance(data.get("build-system"), dict):
        d.installable = "pyproject.toml"
    if isinstance(project, dict):
        rp = project.get("requires-python")
        d.requires_python = rp if isinstance(rp, str) else None
        dynamic = project.get("dynamic", [])
        optional = project.get("optional-dependencies", {})
        names = [*TEST_EXTRAS, *chosen]
        tests = [e for e in dict.fromkeys(names) if isinstance(optional, dict) and e in optional]
        if "dependencies" in dynamic or "optional-dependencies" in dynamic:
            d.project = "pyproject.toml"  # only a build can tell: the installer reads it
            d.extras += [e for e in dict.fromkeys([*tests, *chosen]) if e not in d.extras]
        else:
            for line in project.get("dependencies", []):
                d.requirements.append(_requirement("pyproject.toml [project] dependencies", line))
            for extra in tests:
                where = f"pyproject.toml [project.optional-dependencies] {extra}"
                d.requirements += [_requirement(where, r) for r in optional[extra]]
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for name in TEST_EXTRAS:
            if name in groups:
                d.requirements += _groups("pyproject.toml", groups, name, set())


def _setup_extras(name: str, text: str) -> list[str]:
    """Test extras a setup.cfg or setup.py names (setup.py is read, never run, here)."""
    if name == "setup.cfg":
        cfg = configparser.ConfigParser()
        try:
            cfg.read_string(text)
        except configparser.Error:
            return []
        section = "options.extras_require"
        return [e for e in TEST_EXTRAS if cfg.has_option(section, e)]
    return [e for e in TEST_EXTRAS if e in {m.group(1) for m in _EXTRAS_KEY.finditer(text)}]


LOCKS = ("uv.lock", "poetry.lock")


def _locked(name: str, text: str) -> list[str]:
    """``name==version`` of every package a uv or Poetry lock takes from a registry (the project
    itself, path, git and URL sources left out)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PrepareError(f"{name}: not valid TOML ({exc})") from None
    pins: list[str] = []
    for package in data.get("package", []):
        if not isinstance(package, dict):
            continue
        pkg, version = package.get("name"), package.get("version")
        source = package.get("source")
        if name == "uv.lock":
            from_registry = isinstance(source, dict) and "registry" in source
        else:  # poetry: no source table means the default registry
            from_registry = not isinstance(source, dict) or source.get("type") == "legacy"
        if isinstance(pkg, str) and isinstance(version, str) and from_registry:
            pins.append(f"{canonicalize_name(pkg)}=={version}")
    return sorted(set(pins))


def _same(value: str, reader: _Reader) -> bool:
    own = reader.private_index
    return own is not None and value.rstrip("/") == own.rstrip("/")


def declared(
    read: Read, extras: tuple[str, ...] = (), private_index: str | None = None
) -> Declared:
    """The repository's declared environment; ``read(path)`` gives a file's text or None.
    ``extras``: optional dependencies the repository asks for beyond the test ones
    (``.devforge.toml``)."""
    d = Declared()
    reader = _Reader(read, d, private_index)
    if (text := reader.text("pyproject.toml")) is not None:
        _pyproject(reader, text, extras)
    if "pyproject.toml" not in d.contents or not isinstance(
        tomllib.loads(d.contents["pyproject.toml"]).get("project"), dict
    ):
        for name in ("setup.py", "setup.cfg"):
            if d.project is None and (text := reader.text(name)) is not None:
                d.project = d.installable = name
                found = [*_setup_extras(name, text), *extras]
                d.extras += [e for e in dict.fromkeys(found) if e not in d.extras]
    for name in REQUIREMENT_FILES:
        if name not in reader.seen and (text := reader.text(name)) is not None:
            reader.requirements(name, text)
    if "pyproject.toml" in d.contents:  # the lock's versions bound what is resolved
        for name in LOCKS:
            if (text := reader.text(name)) is not None:
                d.constraints += [p for p in _locked(name, text) if p not in d.constraints]
                break
    return d
