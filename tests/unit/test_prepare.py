"""The prepare phase's pure parts: which requirement files count, what counts as pinned, how the
environment is keyed, and the guard's view of the tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.ids import InvalidId
from shared.policy.tool_calls import BadToolArguments, assess_tool_call
from shared.prepare import PrepareConfig, PrepareError, declared, env_path, tinyproxy_config


def test_pinned_requirements_are_read_from_every_declared_file() -> None:
    d = declared(
        {
            "requirements.txt": "flask==3.0.3\n# a comment\n\nrequests[socks]==2.32.3 # why\n",
            "requirements-dev.txt": (
                "-r requirements.txt\n"
                "pytest==8.3.2 --hash=sha256:" + "a" * 64 + "\n"
                'tomli==2.0.1; python_version < "3.11"\n'
            ),
            "setup.cfg": "ignored",
        }
    )
    assert d.files == ["requirements.txt", "requirements-dev.txt"]
    assert d.requirements == [
        "flask==3.0.3",
        "requests[socks]==2.32.3",
        "pytest==8.3.2",
        'tomli==2.0.1; python_version < "3.11"',
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("requests>=2\n", "not pinned"),
        ("requests\n", "not pinned"),
        ("requests==2.*\n", "one version"),
        ("requests>=2,==2.1\n", "not pinned"),
        ("--index-url http://evil.example/simple\nrequests==2.32.0\n", "option '--index-url'"),
        ("--extra-index-url=http://evil.example\n", "option"),
        ("-e .\n", "option '-e'"),
        ("-r ../../etc/other.txt\n", "option '-r'"),
        ("git+https://x.example/r.git#egg=r\n", "not a requirement"),
        ("pkg @ https://x.example/pkg.whl\n", "not pinned"),
    ],
)
def test_anything_but_a_pin_is_refused_with_the_line(text: str, problem: str) -> None:
    with pytest.raises(PrepareError, match=problem) as err:
        declared({"requirements.txt": text})
    assert "requirements.txt line" in str(err.value)


def test_the_environment_is_keyed_by_tenant_and_content(tmp_path: Path) -> None:
    cfg = PrepareConfig(envs_dir=tmp_path)
    a = declared({"requirements.txt": "flask==3.0.3\npytest==8.3.2\n"})
    b = declared({"requirements-dev.txt": "pytest==8.3.2\nflask==3.0.3\n"})
    c = declared({"requirements.txt": "flask==3.0.2\npytest==8.3.2\n"})
    assert env_path(cfg, "acme", a) == env_path(cfg, "acme", b)  # same set, same environment
    assert env_path(cfg, "acme", a) != env_path(cfg, "acme", c)
    assert env_path(cfg, "acme", a).parent != env_path(cfg, "globex", a).parent
    with pytest.raises(InvalidId):
        env_path(cfg, "../acme", a)


def test_config_travels_to_the_tool_server_by_environment(tmp_path: Path) -> None:
    cfg = PrepareConfig(tmp_path, "http://localhost:1/simple", ("localhost", "*.x.org"), 5.0)
    assert PrepareConfig.from_env(cfg.to_env()) == cfg
    assert PrepareConfig.from_env({}) is None


def test_the_proxy_denies_by_default_and_tunnels_only_to_443(tmp_path: Path) -> None:
    conf = tinyproxy_config(8888, tmp_path / "allow")
    assert "FilterDefaultDeny Yes" in conf and "ConnectPort 443" in conf
    assert "Listen 127.0.0.1" in conf


def test_the_guard_allows_prepare_env_without_a_person_and_takes_no_arguments() -> None:
    assert assess_tool_call("prepare_env", {}).verdict == "allow"
    with pytest.raises(BadToolArguments):
        assess_tool_call("prepare_env", {"index_url": "http://evil.example"})
    own = assess_tool_call("run_command", {"command": "pip install requests==2.32.3"})
    assert own.verdict == "needs_approval"
