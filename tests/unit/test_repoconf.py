"""A repository's own ``.devforge.toml``: what is read, and each bad value named (pure)."""

from __future__ import annotations

import pytest

from shared.envspec import declared
from shared.repoconf import RepoConfig, RepoConfigError, parse


def test_the_settings_are_read_with_their_defaults() -> None:
    assert parse("") == RepoConfig()
    config = parse(
        '[tests]\ncommand = "python -m pytest -q tests/unit"\n'
        "[qa]\ncoverage_threshold = 45\n"
        '[environment]\nextras = ["socks"]\n'
    )
    assert config.test_command == ("python", "-m", "pytest", "-q", "tests/unit")
    assert config.runs_pytest and config.coverage_threshold == 45.0
    assert config.extras == ("socks",)
    listed = parse('[tests]\ncommand = ["make", "check"]\n')
    assert listed.test_command == ("make", "check") and not listed.runs_pytest


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[tests\n", "not valid TOML"),
        ("tests = 1\n", r"\[tests\] must be a table"),
        ("[tests]\ncommand = 3\n", "tests.command must be"),
        ('[tests]\ncommand = "a \'b"\n', "cannot be split"),
        ('[tests]\ncommand = [" "]\n', "empty program"),
        ("[qa]\ncoverage_threshold = 101\n", "coverage_threshold must be"),
        ("[qa]\ncoverage_threshold = true\n", "coverage_threshold must be"),
        ('[environment]\nextras = "socks"\n', "extras must be a list"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(text: str, problem: str) -> None:
    with pytest.raises(RepoConfigError, match=problem) as err:
        parse(text)
    assert str(err.value).startswith(".devforge.toml: ")


def test_extras_the_repository_asks_for_join_its_environment() -> None:
    pyproject = (
        '[project]\nname = "x"\ndependencies = []\n'
        '[project.optional-dependencies]\nsocks = ["socksio"]\ntest = ["pytest"]\n'
    )
    plain = declared({"pyproject.toml": pyproject}.get)
    asked = declared({"pyproject.toml": pyproject}.get, ("socks",))
    assert "socksio" not in plain.requirements and not plain.needed
    assert asked.requirements == ["pytest", "socksio"] and asked.needed
