"""What a repository declares for its test environment, read from its own files (pure)."""

from __future__ import annotations

import pytest

from shared.envspec import TEST_TOOLS, PrepareError, declared
from shared.interpreters import Interpreter, choose

PYPROJECT = """
[project]
name = "acme"
requires-python = ">=3.9"
dependencies = ["httpcore>=1.0,<2", "idna"]

[project.optional-dependencies]
test = ["pytest>=7", "trio==0.22.0"]
docs = ["sphinx"]

[dependency-groups]
lint = ["ruff"]
dev = ["respx", {include-group = "lint"}]
"""


def test_pep_621_extras_and_pep_735_groups_of_the_test_kind_are_read() -> None:
    d = declared({"pyproject.toml": PYPROJECT}.get)
    assert d.requirements == [
        "httpcore>=1.0,<2",
        "idna",
        "pytest>=7",
        "trio==0.22.0",
        "respx",
        "ruff",
    ]
    assert d.requires_python == ">=3.9" and d.project is None and d.needed
    assert d.files == ["pyproject.toml"]
    assert d.install_list()[-1] == "pytest-cov"  # pytest is the repository's own pin


def test_requirement_files_follow_r_and_c_inside_the_repository_and_e_dot_is_the_project() -> None:
    files = {
        "setup.py": "setup(name='x', extras_require={'testing': ['mock']})\n",
        "requirements.txt": "-e .[testing]\n-r requirements/base.txt\n-c constraints.txt\n",
        "requirements/base.txt": "requests>=2 \\\n    --hash=sha256:" + "a" * 64 + "\n# c\n",
        "constraints.txt": "urllib3<2\n",
    }
    d = declared(files.get)
    assert d.project == "setup.py" and d.extras == ["testing"]
    assert d.requirements == ["requests>=2"]  # the pin stays; the hash would lock out pytest
    assert d.constraints == ["urllib3<2"]
    assert d.files == ["setup.py", "requirements.txt", "requirements/base.txt", "constraints.txt"]


def test_a_project_declaring_only_the_test_tools_needs_no_environment() -> None:
    only_tools = '[project]\nname = "x"\ndependencies = []\n[project.optional-dependencies]\n'
    d = declared({"pyproject.toml": only_tools + 'test = ["pytest", "pytest-cov"]\n'}.get)
    assert not d.needed and set(d.install_list()) == set(TEST_TOOLS)
    assert not declared({}.get).needed and declared({}.get).describe() == ""
    dynamic = '[project]\nname = "x"\ndynamic = ["dependencies"]\n'
    assert declared({"pyproject.toml": dynamic}.get).project == "pyproject.toml"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("--index-url http://evil.example/simple\nrequests\n", "line 1: --index-url is refused"),
        ("--extra-index-url=http://evil.example\n", "--extra-index-url is refused"),
        ("-f ./wheels\n", "-f is refused"),
        ("--trusted-host evil.example\n", "--trusted-host is refused"),
        ("pkg @ https://x.example/pkg.whl\n", "a direct URL is refused"),
        ("git+https://x.example/r.git#egg=r\n", "not a requirement"),
        ("-r ../../etc/other.txt\n", "outside the repository"),
        ("-r missing.txt\n", "does not exist"),
        ("-e .\n", "no project metadata"),
        ("--no-clean\n", "option '--no-clean' is not supported"),
    ],
)
def test_what_names_another_source_is_refused_with_file_and_line(text: str, problem: str) -> None:
    with pytest.raises(PrepareError, match=problem) as err:
        declared({"requirements.txt": text}.get)
    assert "requirements.txt line" in str(err.value)


def test_pyproject_refusals_name_the_table() -> None:
    bad = '[project]\nname = "x"\ndependencies = ["evil @ https://evil.example/e.whl"]\n'
    with pytest.raises(PrepareError, match=r"\[project\] dependencies: evil @ https"):
        declared({"pyproject.toml": bad}.get)
    with pytest.raises(PrepareError, match="not valid TOML"):
        declared({"pyproject.toml": "[project\n"}.get)
    loop = '[dependency-groups]\ntest = [{include-group = "test"}]\n'
    with pytest.raises(PrepareError, match="includes itself"):
        declared({"pyproject.toml": loop}.get)


def test_requires_python_picks_the_newest_interpreter_it_admits() -> None:
    from packaging.version import Version

    found = (
        Interpreter(Version("3.12.1"), "/usr/bin/python3.12"),
        Interpreter(Version("3.11.7"), "/opt/py/bin/python3.11"),
    )
    assert choose(">=3.8", found).path == "/usr/bin/python3.12"
    assert choose("<3.12", found).path == "/opt/py/bin/python3.11"
    with pytest.raises(PrepareError, match=r"'>=3.13' is met by none .*3.12.1, 3.11.7"):
        choose(">=3.13", found)
    with pytest.raises(PrepareError, match="not a version range"):
        choose("three", found)


UV_LOCK = """version = 1
requires-python = ">=3.9"

[[package]]
name = "acme"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "Requests"
version = "2.31.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pywin32"
version = "306"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "vendored"
version = "1.0"
source = { git = "https://example.com/v.git" }
"""
POETRY_LOCK = """[[package]]
name = "requests"
version = "2.31.0"
description = "HTTP"

[[package]]
name = "local-thing"
version = "0.1"
source = { type = "directory", url = "../thing" }
"""


@pytest.mark.parametrize(("lock", "text"), [("uv.lock", UV_LOCK), ("poetry.lock", POETRY_LOCK)])
def test_a_lock_beside_pyproject_pins_what_is_resolved(lock: str, text: str) -> None:
    files = {
        "pyproject.toml": (
            '[project]\nname = "acme"\nversion = "0.1"\ndependencies = ["requests"]\n'
        ),
        lock: text,
    }
    d = declared(files.get)
    assert d.requirements == ["requests"]
    assert "requests==2.31.0" in d.constraints  # the locked version, as a constraint
    assert not [c for c in d.constraints if c.startswith(("acme", "vendored", "local-thing"))]
    assert lock in d.files and d.key("/usr/bin/python3") != declared(
        {k: v for k, v in files.items() if k != lock}.get
    ).key("/usr/bin/python3")


def test_a_lock_that_is_not_toml_is_named() -> None:
    files = {"pyproject.toml": '[project]\nname = "a"\nversion = "1"\n', "uv.lock": "[[package"}
    with pytest.raises(PrepareError, match=r"uv\.lock: not valid TOML"):
        declared(files.get)
