"""The test command a repository's own tooling would run, read (never run) from its ``tox.ini``,
``noxfile.py`` or ``Makefile``: running tox or nox would build environments from the network,
and a Makefile target may do anything. From each, the first command that is a test runner is
kept, normalised to what the sandbox runs: pytest (``pytest``, ``py.test``, ``python -m pytest``,
``coverage run -m pytest``) as ``python -m pytest`` with the repository's arguments, ``python -m
unittest``, a Python script of the repository's, or ``npm test``. Placeholders are resolved
where their meaning is fixed (``{posargs}`` and its default, ``{toxinidir}``, ``{envpython}``,
``$(PYTHON)``); a command with any other is skipped. Pure: ``read(name)`` gives a file's text."""

from __future__ import annotations

import ast
import configparser
import re
import shlex
from collections.abc import Callable

Read = Callable[[str], str | None]

PYTEST = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
_PYTHONS = re.compile(r"^(?:python(?:3(?:\.\d+)?)?|\{envpython\}|\$\(PYTHON\)|\$\{PYTHON\})$")
_POSARGS = re.compile(r"\{posargs(?::([^{}]*))?\}")
_UNRESOLVED = re.compile(r"[{}$`]|^\s*$")


def _words(line: str) -> list[str] | None:
    line = _POSARGS.sub(lambda m: m.group(1) or "", line).replace("{toxinidir}", ".")
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    return words or None


def _without_coverage(words: list[str]) -> list[str]:
    """pytest-cov's options left out (with a value given apart): coverage is QA's own gate,
    measured apart."""
    out: list[str] = []
    skip_value = False
    for w in words:
        if skip_value and not w.startswith("-"):
            skip_value = False
            continue
        skip_value = False
        if w.startswith("--cov") or w == "--no-cov":
            skip_value = "=" not in w and w != "--no-cov"
            continue
        out.append(w)
    return out


def runner(words: list[str]) -> list[str] | None:
    """``words`` as the test run the sandbox makes, or None when it is no test runner known."""
    words = _without_coverage(words)
    if not words:
        return None
    head, rest = words[0], words[1:]
    python = _PYTHONS.match(head) is not None
    if head in ("pytest", "py.test"):
        found = [*PYTEST, *rest]
    elif python and rest[:2] == ["-m", "pytest"]:
        found = [*PYTEST, *rest[2:]]
    elif head == "coverage" and rest[:1] == ["run"]:
        opts = [w for w in rest[1:] if w.startswith("-") and w != "-m"]
        after = rest[1 + len(opts) :]
        if after[:2] != ["-m", "pytest"]:
            return None
        found = [*PYTEST, *after[2:]]
    elif python and rest[:2] == ["-m", "unittest"]:
        found = ["python", "-m", "unittest", *rest[2:]]
    elif python and rest[:1] and rest[0].endswith(".py") and not rest[0].startswith("-"):
        found = ["python", *rest]
    elif head == "npm" and (rest[:1] == ["test"] or rest[:2] == ["run", "test"]):
        found = ["npm", "test", "--silent"]
    else:
        return None
    return None if any(_UNRESOLVED.search(w) for w in found) else found


def _first(lines: list[str]) -> list[str] | None:
    for line in lines:
        words = _words(line)
        found = runner(words) if words else None
        if found:
            return found
    return None


def from_tox(text: str) -> list[str] | None:
    """The ``commands`` of ``[testenv]`` (else of the first ``[testenv:...]``)."""
    cfg = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cfg.read_string(text)
    except configparser.Error:
        return None
    sections = [s for s in cfg.sections() if s == "testenv"]
    sections += [s for s in cfg.sections() if s.startswith("testenv:")]
    for section in sections:
        raw = cfg.get(section, "commands", fallback="")
        lines = [ln.strip().lstrip("-").strip() for ln in raw.replace("\\\n", " ").splitlines()]
        if found := _first([ln for ln in lines if ln]):
            return found
    return None


def from_nox(text: str) -> list[str] | None:
    """The first ``session.run(...)`` of literal strings that runs tests, in a session whose
    name says tests (``tests``, ``test``, ``unit``...) before any other."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    sessions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    sessions.sort(key=lambda f: 0 if re.search(r"test|unit", f.name) else 1)
    for fn in sessions:
        for node in ast.walk(fn):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
            ):
                continue
            words = [
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if words and (found := runner(words)):
                return found
    return None


def from_makefile(text: str) -> list[str] | None:
    """The recipe of the ``test`` target (else ``tests`` or ``check``)."""
    recipes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.replace("\\\n", " ").splitlines():
        if line.startswith("\t") and current is not None:
            current.append(line.strip().lstrip("@-+").strip())
            continue
        m = re.match(r"^([A-Za-z0-9_.\- ]+?)\s*::?(?!=)(.*)$", line)
        current = None
        if m:
            current = []
            for target in m.group(1).split():
                recipes.setdefault(target, current)
    for target in ("test", "tests", "check"):
        if found := _first(recipes.get(target, [])):
            return found
    return None


def discover(read: Read) -> tuple[list[str], str] | None:
    """(command, the file it was read from), from tox, nox or a Makefile, in that order."""
    for name, parse in (
        ("tox.ini", from_tox),
        ("noxfile.py", from_nox),
        ("Makefile", from_makefile),
    ):
        text = read(name)
        if text is not None and (found := parse(text)):
            return found, name
    return None
