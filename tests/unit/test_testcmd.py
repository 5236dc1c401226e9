"""The test command read from a repository's tox.ini, noxfile.py or Makefile (never run)."""

from __future__ import annotations

from shared.testcmd import PYTEST, discover, from_makefile, from_nox, from_tox, runner

TOX = """\
[tox]
envlist = py311, lint

[testenv]
deps =
    pytest
    pytest-cov
commands =
    python -m pip --version
    pytest --cov=mypkg --cov-report term-missing {posargs:tests/unit} -p no:randomly

[testenv:lint]
commands = ruff check .
"""

NOX = """\
import nox

@nox.session
def lint(session):
    session.install("ruff")
    session.run("ruff", "check", ".")

@nox.session(python=["3.11", "3.12"])
def tests(session):
    session.install("-e", ".[test]")
    session.run("pytest", "-x", "tests", *session.posargs)
"""

MAKEFILE = """\
PYTHON ?= python3
.PHONY: test lint

lint:
\truff check .

test: lint
\t@echo running the tests
\t$(PYTHON) -m pytest \\
\t\t--strict-markers tests
"""


def test_tox_commands_give_pytest_with_the_repositorys_own_arguments() -> None:
    # coverage options are QA's own gate; {posargs:default} takes its default
    assert from_tox(TOX) == [*PYTEST, "tests/unit", "-p", "no:randomly"]


def test_tox_without_a_test_runner_gives_nothing() -> None:
    assert from_tox("[testenv]\ncommands = sphinx-build docs out\n") is None
    assert from_tox("not an ini file [") is None


def test_nox_prefers_the_tests_session_and_reads_only_literal_words() -> None:
    assert from_nox(NOX) == [*PYTEST, "-x", "tests"]
    assert from_nox("def tests(session):\n    session.run(CMD)\n") is None
    assert from_nox("def (:") is None


def test_makefile_test_target_with_a_variable_python_and_a_continued_line() -> None:
    assert from_makefile(MAKEFILE) == [*PYTEST, "--strict-markers", "tests"]


def test_makefile_with_an_unknown_variable_or_no_test_target_gives_nothing() -> None:
    assert from_makefile("test:\n\tpytest $(PYTEST_ARGS)\n") is None
    assert from_makefile("build:\n\tpytest\n") is None
    assert from_makefile("PYTHON := python\ntest:\n\tnpm run test\n") == ["npm", "test", "--silent"]


def test_runners_are_normalised_and_anything_else_refused() -> None:
    assert runner(["py.test", "-q"]) == [*PYTEST, "-q"]
    assert runner(["coverage", "run", "--branch", "-m", "pytest", "t"]) == [*PYTEST, "t"]
    assert runner(["python3", "-m", "unittest", "discover"]) == [
        "python",
        "-m",
        "unittest",
        "discover",
    ]
    assert runner(["python", "runtests.py", "--fast"]) == ["python", "runtests.py", "--fast"]
    assert runner(["{envpython}", "-m", "pytest", "--cov", "pkg", "t"]) == [*PYTEST, "t"]
    for other in (["tox"], ["make", "check"], ["bash", "-c", "pytest"], ["rm", "-rf", "/"]):
        assert runner(other) is None, other
    assert runner(["pytest", "`id`"]) is None  # nothing the shell would have expanded


def test_discover_takes_tox_then_nox_then_the_makefile() -> None:
    files = {"tox.ini": TOX, "noxfile.py": NOX, "Makefile": MAKEFILE}
    assert discover(files.get) == (from_tox(TOX), "tox.ini")
    del files["tox.ini"]
    assert discover(files.get) == (from_nox(NOX), "noxfile.py")
    del files["noxfile.py"]
    assert discover(files.get) == (from_makefile(MAKEFILE), "Makefile")
    assert discover({}.get) is None
