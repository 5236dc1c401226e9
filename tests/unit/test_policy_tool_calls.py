from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.policy.tool_calls import TOOLS, BadToolArguments, assess_tool_call

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcQx9aB2"


@pytest.fixture
def wt(tmp_path: Path) -> Path:
    root = tmp_path / "wt"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("x = 1\n")
    os.symlink("/etc", root / "etc_link")
    return root


def test_run_command_uses_the_command_policy(wt: Path) -> None:
    assert assess_tool_call("run_command", {"command": "rm -fr /"}).verdict == "deny"
    assert assess_tool_call("run_command", {"command": "pytest -q"}, wt).verdict == "allow"
    assert (
        assess_tool_call("run_command", {"command": f"cat {wt}/src/app.py"}, wt).verdict == "allow"
    )


@pytest.mark.parametrize(
    ("tool", "args", "verdict"),
    [
        ("write_file", {"path": "src/app.py", "content": "x = 2\n"}, "allow"),
        ("write_file", {"path": "../../etc/passwd", "content": "x"}, "deny"),
        ("write_file", {"path": ".git/config", "content": "x"}, "deny"),
        ("write_file", {"path": ".github/workflows/ci.yml", "content": "x"}, "needs_approval"),
        ("write_file", {"path": "etc_link/hosts", "content": "x"}, "deny"),
        ("read_file", {"path": "src/app.py"}, "allow"),
        ("view_file", {"path": "src/app.py", "start_line": 1, "end_line": 10}, "allow"),
        ("read_file", {"path": "etc_link/passwd"}, "deny"),
        ("read_file", {"path": "/etc/passwd"}, "deny"),
        ("list_dir", {"path": "."}, "allow"),
        ("delete_file", {"path": "src/app.py"}, "allow"),
        ("delete_file", {"path": "etc_link"}, "allow"),
        ("delete_file", {"path": ".git/HEAD"}, "deny"),
        ("delete_file", {"path": ".github/workflows/ci.yml"}, "needs_approval"),
        ("delete_file", {"path": "."}, "deny"),
        ("search_files", {"pattern": "TODO"}, "allow"),
        ("search_files", {"pattern": "TODO", "path": "../", "regex": True}, "deny"),
        ("run_tests", {}, "allow"),
        ("run_coverage", {"threshold": 80}, "allow"),
        ("run_lint", {}, "allow"),
        ("run_semgrep", {}, "allow"),
        ("scan_secrets", {"base": "main"}, "allow"),
        ("git_status", {}, "allow"),
        ("git_diff", {"base": "origin/main~2"}, "allow"),
        ("git_diff", {"base": "--output=/tmp/x"}, "deny"),
        ("git_diff", {"base": "../../x"}, "deny"),
        ("run_tests", {"tests": ["tests/unit"], "keyword": "slow"}, "allow"),
        ("prepare_env", {}, "allow"),
        ("search_code", {"query": "where is auth handled", "k": 5}, "allow"),
        ("format_disk", {}, "deny"),
    ],
)
def test_dispatch(wt: Path, tool: str, args: dict[str, object], verdict: str) -> None:
    assert assess_tool_call(tool, args, wt).verdict == verdict


def test_unknown_tool_rule() -> None:
    v = assess_tool_call("shell", {"command": "ls"})
    assert (v.verdict, v.rule_ids) == ("deny", ["tool.unknown"])


def test_secret_in_written_content_is_denied_without_leaking_it(wt: Path) -> None:
    v = assess_tool_call("write_file", {"path": "src/cfg.py", "content": f'KEY = "{STRIPE}"\n'}, wt)
    assert v.verdict == "deny"
    assert v.rule_ids == ["secrets.stripe_secret_key"]
    assert "Qx9aB2" not in " ".join(v.reasons)
    assert "line 1" in v.reasons[0]


def test_several_edits_are_judged_as_their_path_and_every_new_text(wt: Path) -> None:
    good = [{"old_text": "a = 1", "new_text": "a = 2"}]
    leak = [*good, {"old_text": "b = 1", "new_text": f'KEY = "{STRIPE}"'}]
    assert assess_tool_call("apply_edits", {"path": "src/cfg.py", "edits": good}, wt).verdict == (
        "allow"
    )
    v = assess_tool_call("apply_edits", {"path": "src/cfg.py", "edits": leak}, wt)
    assert (v.verdict, v.rule_ids) == ("deny", ["secrets.stripe_secret_key"])
    assert assess_tool_call("apply_edits", {"path": ".git/config", "edits": good}, wt).verdict == (
        "deny"
    )
    for malformed in ([], [{"old_text": "a"}], [{"old_text": "a", "new_text": 1}], ["a"]):
        with pytest.raises(BadToolArguments, match="'edits' must be a list of"):
            assess_tool_call("apply_edits", {"path": "a.py", "edits": malformed})


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("run_command", {}, "missing required argument 'command'"),
        ("run_command", {"command": ["rm", "-rf"]}, "'command' must be a string, got list"),
        ("run_command", {"command": "ls", "cwd": "/"}, "unknown argument(s) cwd"),
        ("read_file", {"path": 3}, "'path' must be a string, got int"),
        ("view_file", {"path": "a", "end_line": True}, "'end_line' must be an integer, got bool"),
        ("write_file", {"path": "a"}, "missing required argument 'content'"),
        ("search_files", {"pattern": "x", "regex": "yes"}, "'regex' must be a boolean"),
        ("run_tests", {"tests": ["a", 1]}, "'tests' must be a list of strings"),
        ("list_dir", {}, "missing required argument 'path'"),
        ("read_file", {"path": "a", "limit": 10}, "unknown argument(s) limit"),
        ("search_code", {}, "missing required argument 'query'"),
    ],
)
def test_bad_arguments_raise(tool: str, args: dict[str, object], message: str) -> None:
    with pytest.raises(BadToolArguments) as info:
        assess_tool_call(tool, args)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_arguments_must_be_a_mapping() -> None:
    with pytest.raises(BadToolArguments):
        assess_tool_call("run_tests", ["x"])  # type: ignore[arg-type]


def test_every_declared_argument_is_checked_and_nothing_else_passes() -> None:
    """The guard's argument checks are the registry's: a declared argument of the wrong type and
    an undeclared one are both refused, for every tool."""
    samples: dict[str, object] = {
        "str": "x",
        "int": 1,
        "num": 1.5,
        "bool": True,
        "strs": ["x"],
        "edits": [{"old_text": "a", "new_text": "b"}],
    }
    for tool in TOOLS.values():
        for name, arg in tool.args.items():
            wrong = ["x"] if arg.type != "strs" else "x"
            args: dict[str, object] = {
                n: samples[a.type] for n, a in tool.args.items() if a.required
            }
            with pytest.raises(BadToolArguments, match=name):
                assess_tool_call(tool.name, {**args, name: wrong})
        with pytest.raises(BadToolArguments, match="unknown argument"):
            assess_tool_call(tool.name, {"not_declared": "x"})
