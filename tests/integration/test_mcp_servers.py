"""The MCP tool servers over the MCP protocol, with real PostgreSQL, real git and real bwrap:
only a guard decision for exactly this call runs, a step runs at most once, and paths that lead
out of the worktree are refused even when the guard signed them."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from mcp_types import CallToolResult
from nacl.signing import SigningKey

from mcp import Client, StdioServerParameters
from shared.decisions import Signer, Verifier
from shared.executor import Executor, GuardedServer, PgExecutionStore
from shared.prepare import PrepareConfig
from shared.tools import on_server
from tests.support.mcp_servers import Decide, decide_for, fs_server, sandbox_server, text
from tests.support.registry import package_index

ROOT = Path(__file__).resolve().parents[2]


def git(repo: Path, *args: str) -> None:
    base = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    subprocess.run([*base, *args], check=True, capture_output=True)


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    wt = tmp_path / "wt"
    (wt / "tests").mkdir(parents=True)
    (wt / "calc.py").write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    (wt / "tests" / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add() -> None:\n    assert add(2, 3) == 5\n"
    )
    (wt / "pyproject.toml").write_text("[tool.pytest.ini_options]\npythonpath = ['.']\n")
    git(wt, "init", "-q", "-b", "main")
    git(wt, "add", "-A")
    git(wt, "commit", "-q", "-m", "init")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("keep me")
    (wt / "out").symlink_to(outside)
    (wt / "gitlink").symlink_to(".git")
    return wt


@pytest.fixture
def signer() -> Signer:
    return Signer(SigningKey.generate())


@pytest.fixture
def job() -> str:
    return f"j{secrets.token_hex(6)}"


@pytest.fixture
def decide(signer: Signer, tenant: str, job: str) -> Decide:
    return decide_for(signer, tenant, job)


@pytest.fixture
async def executor(signer: Signer, tenant: str, job: str, pg_url: str) -> AsyncIterator[Executor]:
    ex = Executor(
        verifier=Verifier([signer.public_key]),
        tenant=tenant,
        job_id=job,
        store=PgExecutionStore(pg_url),
    )
    yield ex
    await ex.aclose()


@pytest.fixture
def fs(executor: Executor, worktree: Path) -> GuardedServer:
    server: GuardedServer = fs_server.build_server(executor, worktree)
    return server


@pytest.fixture
def sandbox(executor: Executor, worktree: Path) -> GuardedServer:
    server: GuardedServer = sandbox_server.build_server(executor, worktree, timeout_s=60)
    return server


async def rows(pool: asyncpg.Pool[Any], tenant: str, job: str) -> dict[str, tuple[str, str]]:
    found = await pool.fetch(
        "SELECT step_id, tool, status FROM executions WHERE tenant_id = $1 AND job_id = $2",
        tenant,
        job,
    )
    return {r["step_id"]: (r["tool"], r["status"]) for r in found}


async def call(client: Client, tool: str, args: dict[str, Any], decision: Any) -> CallToolResult:
    payload = dict(args)
    if decision is not None:
        payload["decision"] = decision
    return await client.call_tool(tool, payload)


# --------------------------------------------------------------------------- fs server


async def test_an_approved_write_runs_and_is_recorded(
    fs: GuardedServer,
    decide: Decide,
    worktree: Path,
    pool: asyncpg.Pool[Any],
    tenant: str,
    job: str,
) -> None:
    args = {"path": "pkg/new.py", "content": "X = 1\n"}
    async with Client(fs) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert listed == set(on_server("fs"))
        result = await call(client, "write_file", args, decide("write_file", args, step="w1"))
        assert not result.is_error, text(result)
        read = await call(
            client,
            "read_file",
            {"path": "pkg/new.py"},
            decide("read_file", {"path": "pkg/new.py"}, step="r1"),
        )
        found = await call(
            client,
            "search_files",
            {"pattern": "X ="},
            decide("search_files", {"pattern": "X ="}, step="q1"),
        )
    assert (worktree / "pkg" / "new.py").read_text() == "X = 1\n"
    assert text(read) == "X = 1\n"
    assert text(found) == "pkg/new.py:1:X = 1"
    assert await rows(pool, tenant, job) == {
        "w1": ("write_file", "succeeded"),
        "r1": ("read_file", "succeeded"),
        "q1": ("search_files", "succeeded"),
    }


async def test_every_unapproved_call_is_refused_and_nothing_happens(
    fs: GuardedServer,
    decide: Decide,
    worktree: Path,
    pool: asyncpg.Pool[Any],
    tenant: str,
    job: str,
) -> None:
    args = {"path": "marker.txt", "content": "ran"}
    good = decide("write_file", args, step="good")
    stranger = Signer(SigningKey.generate())
    attempts = {
        "missing": None,
        "malformed": {"tenant": tenant, "job_id": job},
        "forged": dict(good, signature=good["signature"][:-6] + "AAAAA="),
        "other key": decide("write_file", args, by=stranger),
        "argument swap": decide("write_file", {"path": "marker.txt", "content": "benign"}),
        "tool swap": decide("read_file", args),
        "other job": decide("write_file", args, job_id="otherjob"),
        "other tenant": decide("write_file", args, tenant="globex"),
    }
    async with Client(fs) as client:
        for label, decision in attempts.items():
            result = await call(client, "write_file", args, decision)
            assert result.is_error, label
            assert text(result).startswith("refused: "), (label, text(result))
            assert "\n" not in text(result)
    assert not (worktree / "marker.txt").exists()
    assert await rows(pool, tenant, job) == {}


async def test_a_replayed_step_is_refused(
    fs: GuardedServer,
    decide: Decide,
    worktree: Path,
    pool: asyncpg.Pool[Any],
    tenant: str,
    job: str,
) -> None:
    args = {"path": "marker.txt", "content": "ran"}
    decision = decide("write_file", args, step="once")
    async with Client(fs) as client:
        assert not (await call(client, "write_file", args, decision)).is_error
        (worktree / "marker.txt").unlink()
        again = await call(client, "write_file", args, decision)
    assert again.is_error and text(again) == "refused: step already executed"
    assert not (worktree / "marker.txt").exists()
    assert await rows(pool, tenant, job) == {"once": ("write_file", "succeeded")}


async def test_escaping_paths_are_refused_even_when_signed(
    fs: GuardedServer,
    decide: Decide,
    worktree: Path,
    tmp_path: Path,
    pool: asyncpg.Pool[Any],
    tenant: str,
    job: str,
) -> None:
    outside = tmp_path / "outside"
    calls: list[tuple[str, dict[str, Any]]] = [
        ("write_file", {"path": "../outside/x.txt", "content": "x"}),
        ("write_file", {"path": str(outside / "x.txt"), "content": "x"}),
        ("write_file", {"path": "out/x.txt", "content": "x"}),
        ("write_file", {"path": "out/secret.txt", "content": "overwritten"}),
        ("write_file", {"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\n"}),
        ("write_file", {"path": "gitlink/config", "content": "[core]\n"}),
        ("write_file", {"path": "gitlink/hooks/post-checkout", "content": "#!/bin/sh\n"}),
        ("read_file", {"path": "out/secret.txt"}),
        ("read_file", {"path": "/etc/hostname"}),
        ("list_dir", {"path": "out"}),
        ("list_dir", {"path": ".."}),
        ("delete_file", {"path": "out/secret.txt"}),
        ("delete_file", {"path": ".git/HEAD"}),
        ("search_files", {"pattern": "keep", "path": "out"}),
    ]
    async with Client(fs) as client:
        for tool, args in calls:
            result = await call(client, tool, args, decide(tool, args))
            assert result.is_error, (tool, args, text(result))
            assert "refused" in text(result), (tool, args, text(result))
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "keep me"
    assert not (worktree / ".git" / "hooks" / "pre-commit").exists()
    assert not (worktree / ".git" / "hooks" / "post-checkout").exists()
    assert "[core]" in (worktree / ".git" / "config").read_text()
    assert (worktree / ".git" / "HEAD").exists()
    recorded = await rows(pool, tenant, job)
    assert len(recorded) == len(calls)  # each was claimed: the guard's approval is spent
    assert {status for _, status in recorded.values()} == {"failed"}


# --------------------------------------------------------------------------- sandbox server


async def test_sandbox_runs_approved_commands_once_and_nothing_else(
    sandbox: GuardedServer,
    decide: Decide,
    worktree: Path,
    pool: asyncpg.Pool[Any],
    tenant: str,
    job: str,
) -> None:
    args = {"command": "echo ran > marker.txt; echo done"}
    good = decide("run_command", args, step="c1")
    async with Client(sandbox) as client:
        for bad in (
            None,
            dict(good, signature=good["signature"][:-6] + "AAAAA="),
            decide("run_command", args, by=Signer(SigningKey.generate())),
            decide("run_command", {"command": "true"}),
            decide("run_command", args, job_id="otherjob"),
        ):
            refused = await call(client, "run_command", args, bad)
            assert refused.is_error and text(refused).startswith("refused: ")
        assert not (worktree / "marker.txt").exists()
        result = await call(client, "run_command", args, good)
        assert not result.is_error and "exit code 0" in text(result) and "done" in text(result)
        assert (worktree / "marker.txt").read_text() == "ran\n"
        (worktree / "marker.txt").unlink()
        replay = await call(client, "run_command", args, good)
    assert text(replay) == "refused: step already executed"
    assert not (worktree / "marker.txt").exists()
    assert await rows(pool, tenant, job) == {"c1": ("run_command", "succeeded")}


async def test_sandbox_gates_on_a_real_repo(
    sandbox: GuardedServer, decide: Decide, worktree: Path
) -> None:
    key = "sk-proj-" + "Zq8vLm2Xr4Tn6Yp0Wc3Hb5Jd7Kf9Gs1Qa"
    (worktree / "calc.py").write_text(
        f'API_KEY = "{key}"\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n'
    )
    (worktree / "config.env").write_text(f"OPENAI_API_KEY={key}\n")
    async with Client(sandbox) as client:

        async def run(tool: str, **args: Any) -> CallToolResult:
            return await call(client, tool, args, decide(tool, args))

        tests = await run("run_tests")
        status = await run("git_status")
        diff = await run("git_diff")
        found = await run("scan_secrets")
        lint = await run("run_lint")
        coverage = await run("run_coverage", threshold=50)
        semgrep = await run("run_semgrep")
        bad_base = await run("git_diff", base="--output=/tmp/x")
    assert "exit code 0" in text(tests) and "1 passed" in text(tests), text(tests)
    assert " M calc.py" in text(status) and "?? config.env" in text(status)
    assert "+API_KEY" in text(diff) and "config.env" in text(diff)
    assert "calc.py:1: openai" in text(found) and "config.env:1: openai" in text(found)
    assert key not in text(diff) and "[REDACTED:" in text(diff)
    assert key not in text(found)
    assert "ruff check" in text(lint) and "exit code" in text(lint)
    assert "--cov-fail-under=50" in text(coverage) and "exit code 0" in text(coverage)
    assert "TOTAL" in text(coverage)
    assert not semgrep.is_error and '"results"' in text(semgrep), text(semgrep)
    assert bad_base.is_error and "refused" in text(bad_base)


async def test_coverage_and_semgrep_judge_only_the_change_since_base(
    sandbox: GuardedServer, decide: Decide, worktree: Path
) -> None:
    # The base already has a blocking finding and an untested function: not the change's doing.
    (worktree / "legacy.py").write_text(
        "import os\n\n\ndef run(code: str) -> None:\n    eval(code)\n"
    )
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "legacy")
    git(worktree, "tag", "base")
    # The change: a tested edit, an untested new branch, and an eval of its own.
    (worktree / "calc.py").write_text(
        "def add(a: int, b: int) -> int:\n"
        "    if a < 0:\n"
        "        raise ValueError(a)\n"
        "    return a + b\n"
        "\n\n"
        "def calc(text: str) -> int:\n"
        "    return int(eval(text))\n"
        "\n\n"
        "import sys\n"
    )
    async with Client(sandbox) as client:

        async def run(tool: str, **args: Any) -> CallToolResult:
            return await call(client, tool, args, decide(tool, args))

        coverage = text(await run("run_coverage", threshold=70, base="base"))
        semgrep = text(await run("run_semgrep", base="base"))
        whole = text(await run("run_semgrep"))
        linted = text(await run("run_lint", base="base"))
        bad = await run("run_coverage", threshold=60, base="--upload-pack=x")
    # Lines 2, 3, 7, 8, 11 are executable; the test runs 2, and the import runs 7 and 11.
    assert coverage.splitlines()[0] == (
        "diff coverage: 60.0% of 5 changed lines (threshold 70%): failed"
    ), coverage
    assert "  calc.py: 3, 8" in coverage and "legacy.py" not in coverage
    found = json.loads(semgrep.split("\n", 1)[1])
    assert [(r["path"], r["start"]["line"]) for r in found["results"]] == [("calc.py", 8)]
    assert "legacy.py" in whole  # without a base, the whole repository as before
    lint_found = json.loads(linted.split("\n", 1)[1])
    assert [(f["filename"], f["location"]["row"], f["code"]) for f in lint_found] == [
        ("calc.py", 11, "F401")
    ], linted
    assert bad.is_error and "refused" in text(bad)


async def test_tests_run_on_the_base_commits_files_when_asked(
    sandbox: GuardedServer, decide: Decide, worktree: Path
) -> None:
    (worktree / "tests" / "test_old.py").write_text(
        "def test_broken() -> None:\n    assert 1 == 2\n"
    )
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "a test already failing")
    git(worktree, "tag", "base")
    (worktree / "calc.py").write_text("def add(a: int, b: int) -> int:\n    return a - b\n")
    ids = ["tests/test_old.py::test_broken", "tests/test_calc.py::test_add"]
    async with Client(sandbox) as client:

        async def run(tool: str, **args: Any) -> CallToolResult:
            return await call(client, tool, args, decide(tool, args))

        now = text(await run("run_tests", tests=ids))
        before = text(await run("run_tests", tests=ids, base="base"))
        missing = await run("run_tests", tests=ids, base="no-such-ref")
    assert "2 failed" in now, now
    assert "(on base)" in before and "1 failed, 1 passed" in before, before
    assert "FAILED tests/test_old.py::test_broken" in before
    assert missing.is_error and "could not check out no-such-ref" in text(missing)
    assert (worktree / "calc.py").read_text().endswith("a - b\n")  # the worktree untouched


# --------------------------------------------------------------------------- over stdio


def stdio(script: str, env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=[str(ROOT / "mcp" / script)], env=env, cwd=str(ROOT)
    )


async def test_servers_over_stdio(
    signer: Signer,
    decide: Decide,
    worktree: Path,
    tenant: str,
    job: str,
    pg_url: str,
    pool: asyncpg.Pool[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEVFORGE_WORKTREE": str(worktree),
        "DEVFORGE_TENANT": tenant,
        "DEVFORGE_JOB_ID": job,
        "DEVFORGE_GUARD_PUBLIC_KEY": signer.public_key,
        "DEVFORGE_DATABASE_URL": pg_url,
        "OPENAI_API_KEY": "sk-test-server-env-secret",
    }
    args = {"path": "via_stdio.txt", "content": "hello"}
    decision = decide("write_file", args, step="io1")
    async with Client(stdio("fs_server.py", env)) as client:
        first = await call(client, "write_file", args, decision)
        replay = await call(client, "write_file", args, decision)
    assert not first.is_error, text(first)
    assert text(replay) == "refused: step already executed"
    assert (worktree / "via_stdio.txt").read_text() == "hello"

    cmd = {"command": "env; echo sandboxed > from_sandbox.txt"}
    async with Client(stdio("sandbox_server.py", env)) as client:
        ran = await call(client, "run_command", cmd, decide("run_command", cmd, step="io2"))
    assert "exit code 0" in text(ran) and (worktree / "from_sandbox.txt").exists()
    assert "sk-test-server-env-secret" not in text(ran) and "DEVFORGE" not in text(ran)

    keyless = {k: v for k, v in env.items() if k != "DEVFORGE_GUARD_PUBLIC_KEY"}
    args2 = {"path": "never.txt", "content": "x"}
    async with Client(stdio("fs_server.py", keyless)) as client:
        refused = await call(client, "write_file", args2, decide("write_file", args2))
    assert refused.is_error and "no guard public key" in text(refused)
    assert not (worktree / "never.txt").exists()
    assert await rows(pool, tenant, job) == {
        "io1": ("write_file", "succeeded"),
        "io2": ("run_command", "succeeded"),
    }


async def test_prepare_env_installs_what_the_tests_then_import(
    executor: Executor,
    decide: Decide,
    worktree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (worktree / "requirements-dev.txt").write_text("tinypkg==1.0\n")
    (worktree / "tests" / "test_tiny.py").write_text(
        "import tinypkg\n\n\ndef test_tiny() -> None:\n    assert tinypkg.VALUE == 'v1'\n"
    )
    with package_index(tmp_path / "index", "tinypkg", "1.0", "v1") as index:
        config = PrepareConfig(tmp_path / "envs", index, ("localhost",))
        for k, v in config.to_env().items():
            monkeypatch.setenv(k, v)
        server = sandbox_server.build_server(executor, worktree, timeout_s=120)
        async with Client(server) as client:
            before = await call(client, "run_tests", {}, decide("run_tests", {}))
            assert "exit code 0" not in text(before) and "tinypkg" in text(before)
            with_args = await call(
                client, "prepare_env", {"index_url": "http://evil"}, decide("prepare_env", {})
            )
            assert with_args.is_error  # the decision covers exactly no arguments
            built = await call(client, "prepare_env", {}, decide("prepare_env", {}))
            assert not built.is_error, text(built)
            assert text(built).startswith("environment built for pyproject.toml, requirements-dev")
            again = await call(client, "prepare_env", {}, decide("prepare_env", {}))
            assert text(again).startswith("environment ready (cached)")
            after = await call(client, "run_tests", {}, decide("run_tests", {}))
    assert "exit code 0" in text(after) and "2 passed" in text(after), text(after)


PROJECT = """[project]
name = "acme"
requires-python = ">=3.8"
dependencies = ["tinypkg"]

[project.optional-dependencies]
test = ["pytest"]
"""


def _acme(wt: Path, suffix: str) -> None:
    (wt / "src" / "acme").mkdir(parents=True, exist_ok=True)
    (wt / "src" / "acme" / "__init__.py").write_text(
        f"import tinypkg\n\n\ndef value() -> str:\n    return tinypkg.VALUE + {suffix!r}\n"
    )
    (wt / "tests" / "test_acme.py").write_text(
        f"import acme\n\n\ndef test_value() -> None:\n    assert acme.value() == 'v1{suffix}'\n"
    )


async def test_each_job_runs_its_repositorys_own_environment_and_imports_its_own_code(
    executor: Executor,
    decide: Decide,
    worktree: Path,
    tmp_path: Path,
    pg_url: str,
    signer: Signer,
    tenant: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (worktree / "pyproject.toml").write_text(PROJECT)
    (worktree / "requirements-dev.txt").write_text("-e .[test]\n")
    _acme(worktree, "-base")
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "acme")
    second = tmp_path / "second"
    git(worktree, "worktree", "add", "-q", str(second))
    _acme(second, "-other")  # another job on the same repository, with its own change
    other = Executor(
        verifier=Verifier([signer.public_key]),
        tenant=tenant,
        job_id=f"j{secrets.token_hex(6)}",
        store=PgExecutionStore(pg_url),
    )
    assert other.job_id is not None
    decide_other = decide_for(signer, tenant, other.job_id)
    with package_index(tmp_path / "index", "tinypkg", "1.0", "v1") as index:
        for k, v in PrepareConfig(tmp_path / "envs", index, ("localhost",)).to_env().items():
            monkeypatch.setenv(k, v)
        one = sandbox_server.build_server(executor, worktree, timeout_s=120)
        two = sandbox_server.build_server(other, second, timeout_s=120)
        async with Client(one) as a, Client(two) as b:
            built = text(await call(a, "prepare_env", {}, decide("prepare_env", {})))
            reused = text(await call(b, "prepare_env", {}, decide_other("prepare_env", {})))
            runs = await asyncio.gather(
                call(a, "run_tests", {}, decide("run_tests", {})),
                call(b, "run_tests", {}, decide_other("run_tests", {})),
            )
            where = {"command": "python -c 'import sys; print(sys.prefix)'"}
            prefix = text(await call(a, "run_command", where, decide("run_command", where)))
    await other.aclose()
    assert built.startswith("environment built for pyproject.toml, requirements-dev.txt"), built
    assert "(extras: test)" in built
    assert reused.startswith("environment ready (cached)"), reused  # same files: built once
    assert [("exit code 0" in text(r), "2 passed" in text(r)) for r in runs] == [(True, True)] * 2
    assert str(tmp_path / "envs" / tenant) in prefix  # not DevForge's own virtualenv


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        (
            {"requirements.txt": "--index-url http://evil.example/simple\n"},
            "--index-url is refused",
        ),
        ({"requirements.txt": "tinypkg>=5\n"}, "installing the declared dependencies failed"),
        ({"pyproject.toml": PROJECT.replace(">=3.8", ">=3.99")}, "requires-python '>=3.99'"),
    ],
)
async def test_an_environment_that_cannot_be_built_is_refused_with_its_reason(
    executor: Executor,
    decide: Decide,
    worktree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    problem: str,
) -> None:
    for name, content in files.items():
        (worktree / name).write_text(content)
    with package_index(tmp_path / "index", "tinypkg", "1.0", "v1") as index:
        for k, v in PrepareConfig(tmp_path / "envs", index, ("localhost",)).to_env().items():
            monkeypatch.setenv(k, v)
        server = sandbox_server.build_server(executor, worktree, timeout_s=120)
        async with Client(server) as client:
            result = await call(client, "prepare_env", {}, decide("prepare_env", {}))
    assert result.is_error and "prepare_env: refused: " in text(result), text(result)
    assert problem in text(result) and "\n" not in text(result).strip(), text(result)
    if "installing" in problem:
        assert "tinypkg" in text(result)  # uv's own reason, on one line
    assert not any((tmp_path / "envs").rglob("bin/python"))  # nothing half-built is kept


async def test_the_repositorys_own_test_command_is_run_and_a_bad_one_refused(
    sandbox: GuardedServer, decide: Decide, worktree: Path
) -> None:
    (worktree / "tests" / "test_slow.py").write_text("def test_slow() -> None:\n    assert False\n")
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "a suite the repository runs only in part")
    git(worktree, "tag", "base")
    (worktree / ".devforge.toml").write_text(
        '[tests]\ncommand = "python -m pytest -q -p no:cacheprovider tests/test_calc.py"\n'
    )
    async with Client(sandbox) as client:

        async def run(tool: str, **args: Any) -> str:
            return text(await call(client, tool, args, decide(tool, args)))

        own = await run("run_tests")
        picked = await run("run_tests", keyword="add")
        covered = await run("run_coverage", threshold=60, base="base")
        (worktree / ".devforge.toml").write_text("[qa]\ncoverage_threshold = 'high'\n")
        bad = await run("run_tests")
    assert own.startswith("$ python -m pytest -q -p no:cacheprovider tests/test_calc.py\n"), own
    assert "exit code 0" in own and "1 passed" in own, own
    assert "-k add" in picked and "1 passed" in picked, picked
    assert "tests/test_calc.py --cov=." in covered and "exit code 0" in covered, covered
    assert "refused: .devforge.toml: qa.coverage_threshold must be" in bad, bad


async def test_a_tox_command_is_read_and_run_and_a_selection_runs_only_the_ids_chosen(
    sandbox: GuardedServer, decide: Decide, worktree: Path
) -> None:
    (worktree / "tests" / "slow").mkdir()
    (worktree / "tests" / "slow" / "test_slow.py").write_text("def test_slow():\n    assert 0\n")
    (worktree / "tox.ini").write_text(
        "[testenv]\ncommands =\n    pytest --cov=calc {posargs:tests/test_calc.py}\n"
    )
    async with Client(sandbox) as client:

        async def run(tool: str, **args: Any) -> str:
            return text(await call(client, tool, args, decide(tool, args)))

        read = await run("run_tests")
        picked = await run("run_tests", tests=["tests/slow/test_slow.py"])
    assert read.startswith("$ python -m pytest -q -p no:cacheprovider tests/test_calc.py\n"), read
    assert "exit code 0" in read and "test_slow" not in read, read
    assert "-- tests/slow/test_slow.py" in picked and "tests/test_calc.py" not in picked, picked
    assert "1 failed" in picked, picked


async def test_the_test_command_a_tenant_set_wins_over_the_repositorys_and_the_detected(
    sandbox: GuardedServer, decide: Decide, worktree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (worktree / ".devforge.toml").write_text('[tests]\ncommand = "python -m pytest -q"\n')
    async with Client(sandbox) as client:

        async def run_tests() -> str:
            return text(await call(client, "run_tests", {}, decide("run_tests", {})))

        monkeypatch.setenv(
            "DEVFORGE_TEST_COMMAND", "python -m pytest -q -p no:cacheprovider -k add"
        )
        tenants = await run_tests()
        monkeypatch.setenv("DEVFORGE_TEST_COMMAND", "'unbalanced")
        bad = await run_tests()
    assert tenants.startswith("$ python -m pytest -q -p no:cacheprovider -k add\n"), tenants
    assert "1 passed" in tenants, tenants
    assert "refused: the repository's test command cannot be split" in bad, bad


async def test_a_read_only_role_runs_commands_and_tests_but_cannot_change_the_worktree(
    executor: Executor, decide: Decide, worktree: Path
) -> None:
    """The lead reproduces a bug: it reads and runs the tests; its writes fail."""
    server = sandbox_server.build_server(executor, worktree, timeout_s=60, read_only=True)
    listing = "\n".join(sorted(os.listdir(worktree)))
    cmd = {"command": "head -1 calc.py; echo changed > calc.py; touch new.txt; true"}
    tests: dict[str, Any] = {}
    async with Client(server) as client:
        ran = await call(client, "run_command", cmd, decide("run_command", cmd, step="ro1"))
        tested = await call(client, "run_tests", tests, decide("run_tests", tests, step="ro2"))
    out = text(ran)
    assert "def add(a: int, b: int) -> int:" in out and "Read-only file system" in out
    assert (worktree / "calc.py").read_text().startswith("def add")
    assert "\n".join(sorted(os.listdir(worktree))) == listing
    assert "1 passed" in text(tested)
