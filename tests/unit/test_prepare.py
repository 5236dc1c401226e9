"""The prepare phase's pure parts: how the environment is keyed, the proxy's configuration, and
the guard's view of the tool (what a repository declares: test_envspec.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from shared.envspec import declared
from shared.ids import InvalidId
from shared.policy.tool_calls import BadToolArguments, assess_tool_call
from shared.prepare import PrepareConfig, env_path, tinyproxy_config


def test_the_environment_is_keyed_by_tenant_dependency_files_and_interpreter(
    tmp_path: Path,
) -> None:
    cfg = PrepareConfig(envs_dir=tmp_path)
    a = declared({"requirements.txt": "flask==3.0.3\n"}.get)
    b = declared({"requirements.txt": "flask==3.0.3\n"}.get)
    c = declared({"requirements.txt": "flask==3.0.2\n"}.get)
    py = "/usr/bin/python3.11"
    assert env_path(cfg, "acme", a, py) == env_path(cfg, "acme", b, py)
    assert env_path(cfg, "acme", a, py) != env_path(cfg, "acme", c, py)
    assert env_path(cfg, "acme", a, py) != env_path(cfg, "acme", a, "/opt/python3.12")
    assert env_path(cfg, "acme", a, py).parent != env_path(cfg, "globex", a, py).parent
    other_repo = dataclasses.replace(cfg, repo="billing")
    assert env_path(cfg, "acme", a, py).parent != env_path(other_repo, "acme", a, py).parent
    with pytest.raises(InvalidId):
        env_path(cfg, "../acme", a, py)


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
