"""DevForge's environments and QA gates on real public projects nobody here wrote (their sdists
from PyPI, pinned by hash in tests/data/projects.txt, downloaded once by `make install`): the
prepare phase builds each project's own environment through the allowlisting proxy from the
tests' local index, the project's own suite runs in the sandbox at the base commit (its
baseline), a small correct change passes every gate QA runs, a change that breaks a test fails
naming it with its assertion, and an untested branch fails diff coverage naming its lines.

The gates are QA's own: the sandbox server's tools judged by ``services.qa.gates``."""

from __future__ import annotations

import dataclasses
import re
import secrets
import subprocess
import tarfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from mcp import Client
from services.qa import gates
from shared.decisions import Signer, Verifier
from shared.executor import Executor, PgExecutionStore
from shared.messages import GateResult
from shared.prepare import PrepareConfig
from tests.support.mcp_servers import ROOT, decide_for, sandbox_server, text
from tests.support.npm_cache import npm_registry
from tests.support.npm_cache import pins as npm_pins
from tests.support.npm_cache import tarball as npm_tarball
from tests.support.registry import local_index

PROJECTS = ROOT / ".cache" / "projects"
PINS = dict(
    re.findall(r"^([\w-]+)==([\w.]+)", (ROOT / "tests/data/projects.txt").read_text(), re.M)
)


@dataclass(frozen=True)
class Project:
    name: str
    licence: str
    path: str  # the file the changes edit
    correct: tuple[str, str]  # (old, new): a change every gate must pass
    breaking: tuple[str, str]  # a change one of the project's tests catches
    broken_test: str
    untested: tuple[str, str]  # a new branch no test runs
    legacy_findings: bool = False  # semgrep blocks on the project's own code, not the change
    own_pytest: str = ""  # the pytest the project pins for itself, when it does
    ignored: tuple[str, ...] = ()  # what its repository's .gitignore holds that the sdist lacks
    low_coverage: bool = False  # its total coverage is under QA's 60 % threshold


SIX = Project(
    "six",
    "LICENSE",
    "six.py",
    ('__version__ = "1.16.0"', '__version__ = "1.16.1"'),
    ("    return iter(d.keys(**kw))", "    return iter(d.values(**kw))"),
    "test_six.py::test_dictionary_iterators",
    (
        "def _add_doc(func, doc):",
        "def _devforge_unused(x):\n    if x:\n        return 1\n    return 2\n\n\n"
        "def _add_doc(func, doc):",
    ),
)
HUMANIZE = Project(
    "humanize",
    "LICENCE",
    "src/humanize/number.py",
    ("if value % 100 in (11, 12, 13):", "if 11 <= value % 100 <= 13:"),
    ("if value % 100 in (11, 12, 13):", "if value % 100 in (11, 12):"),
    "tests/test_number.py::test_ordinal",
    (
        '    if gender == "male":\n        t = (',
        '    if gender == "neuter":\n        return f"{value}."\n'
        '    if gender == "male":\n        t = (',
    ),
)


BOLTONS = Project(
    "boltons",
    "LICENSE",
    "boltons/mathutils.py",
    (
        "    return min(max(x, lower), upper)",
        "    lowered = max(x, lower)\n    return min(lowered, upper)",
    ),
    ("    return min(max(x, lower), upper)", "    return max(x, lower)"),
    "tests/test_mathutils.py::test_clamp_examples",
    ("    if upper < lower:", "    if x is None:\n        return None\n    if upper < lower:"),
    legacy_findings=True,
    own_pytest="8.3.4",  # not the newest: its own pin wins over the platform's test tools
)


ASYNC_TIMEOUT = Project(
    "async-timeout",
    "LICENSE",
    "async_timeout/__init__.py",
    (
        "            self.reschedule(deadline + delay)",
        "            moved = deadline + delay\n            self.reschedule(moved)",
    ),
    (
        "            self.reschedule(deadline + delay)",
        "            self.reschedule(deadline - delay)",
    ),
    "tests/test_timeout.py::test_shift",
    (
        "        def __repr__(self) -> str:\n            return repr(self._val)",
        "        def __repr__(self) -> str:\n            if not isinstance(self._val, bool):\n"
        '                return "?"\n            return repr(self._val)',
    ),
    own_pytest="8.3.3",
    # its pytest options write coverage reports into the worktree (--cov-report=html)
    ignored=("htmlcov/", ".coverage"),
    low_coverage=True,
)


# Where the installed distribution's editable install points (an sdist's own egg-info, on
# the import path with its code, has no direct_url.json).
INSTALLED = (
    "python -c 'import importlib.metadata as m, json; "
    'print(*[json.loads(t)["url"] for d in m.distributions(name="{0}") '
    'if (t := d.read_text("direct_url.json"))])\''
)
SEMGREP_WHOLE = gates.Gate("semgrep", "run_semgrep", {})
Call = Callable[..., Awaitable[str]]


def guarded(tenant: str, pg_url: str) -> tuple[Executor, Any, Call]:
    """An executor for one new job, how the guard would sign its calls, and a caller."""
    signer = Signer(SigningKey.generate())
    job = f"j{secrets.token_hex(6)}"
    executor = Executor(
        verifier=Verifier([signer.public_key]),
        tenant=tenant,
        job_id=job,
        store=PgExecutionStore(pg_url),
    )
    decide = decide_for(signer, tenant, job)

    async def call(client: Client, tool: str, **args: Any) -> str:
        return text(await client.call_tool(tool, {**args, "decision": decide(tool, args)}))

    return executor, decide, call


def git(repo: Path, *args: str) -> str:
    base = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    return subprocess.run([*base, *args], check=True, capture_output=True, text=True).stdout


def checkout(project: Project, where: Path) -> Path:
    """The project's sdist as a git repository: one commit, the base."""
    version = PINS[project.name]
    stem = f"{project.name.replace('-', '_')}-{version}"  # the sdist's name (PEP 625)
    sdist = PROJECTS / f"{stem}.tar.gz"
    if not sdist.exists():
        sdist = PROJECTS / f"{project.name}-{version}.tar.gz"
    if not sdist.exists():
        raise RuntimeError(f"{sdist} is missing: run `make install`")
    with tarfile.open(sdist) as tar:
        tar.extractall(where, filter="data")
    repo = next(p for p in where.iterdir() if p.name in (stem, f"{project.name}-{version}"))
    assert (repo / project.licence).is_file()  # kept with its licence
    if project.ignored:
        (repo / ".gitignore").write_text("".join(f"{p}\n" for p in project.ignored))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{project.name} {version}")
    git(repo, "tag", "base")
    return repo


def edit(repo: Path, project: Project, change: tuple[str, str]) -> None:
    path = repo / project.path
    source = path.read_text()
    assert source.count(change[0]) == 1, change[0]
    path.write_text(source.replace(change[0], change[1]))


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_index(tmp_path_factory.mktemp("index")) as url:
        yield url


async def qa(client: Client, decide: Any) -> list[GateResult]:
    """QA's gates, as services/qa runs them, on the change since ``base``."""
    results = []
    for gate in gates.gates(60, {"tests", "coverage", "lint", "semgrep", "secrets"}, "main"):
        args = {**gate.arguments}
        if "base" in args:
            args["base"] = "base"
        output = text(
            await client.call_tool(gate.tool, {**args, "decision": decide(gate.tool, args)})
        )
        result = gates.judge(gate, True, output)
        if gate.name == "tests" and not result.passed:
            failed = gates.failed_tests(output)
            rerun = {"tests": failed, "base": "base"}
            before = text(
                await client.call_tool(
                    "run_tests", {**rerun, "decision": decide("run_tests", rerun)}
                )
            )
            result = gates.against_base(result, failed, gates.failed_tests(before), output)
        results.append(result)
    return results


@pytest.mark.parametrize("project", [SIX, HUMANIZE, BOLTONS, ASYNC_TIMEOUT], ids=lambda p: p.name)
async def test_a_real_project_gets_its_environment_a_baseline_and_qa_on_the_change(
    project: Project,
    index: str,
    tmp_path: Path,
    tenant: str,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = checkout(project, tmp_path)
    for k, v in PrepareConfig(tmp_path / "envs", index, ("localhost",)).to_env().items():
        monkeypatch.setenv(k, v)
    executor, decide, call = guarded(tenant, pg_url)

    try:
        server = sandbox_server.build_server(executor, repo, timeout_s=300)
        async with Client(server) as client:
            built = await call(client, "prepare_env")
            baseline = await call(client, "run_tests")
            whole = gates.judge(SEMGREP_WHOLE, True, await call(client, "run_semgrep"))
            version = "python -c 'import pytest; print(pytest.__version__)'"
            pytest_version = await call(client, "run_command", command=version)
            installed = await call(client, "run_command", command=INSTALLED.format(project.name))
            edit(repo, project, project.correct)
            correct = await qa(client, decide)
            touched = git(repo, "status", "--porcelain")  # humanize's ruff has `fix = true`
            git(repo, "checkout", "-q", "--", ".")
            edit(repo, project, project.breaking)
            broken = await qa(client, decide)
            git(repo, "checkout", "-q", "--", ".")
            edit(repo, project, project.untested)
            untested = await qa(client, decide)
    finally:
        await executor.aclose()
    assert built.startswith("environment built for"), built
    if project.own_pytest:
        assert pytest_version.splitlines()[-1] == project.own_pytest, pytest_version
    # The project itself is installed (its metadata is there), editable from the fixed place
    # where each command sees its own job's code.
    assert "[exit code 0" in installed, built + installed
    assert installed.splitlines()[-1] == "file:///devforge/code", built + installed
    # The project's own suite ran at the base (this Python lacks _dbm and Tk: some of six's
    # tests fail here before any change, and QA must not hold those against one).
    assert re.search(r"\d+ passed", baseline), baseline[-2000:]
    assert all(r.passed for r in correct), [r for r in correct if not r.passed]
    assert touched.split() == ["M", project.path], touched  # the gates changed nothing
    # Findings in the project's own code block a whole-repository scan, never the change.
    assert whole.passed is not project.legacy_findings, whole
    # ... and so does total coverage under 60 % (as the project's own pytest options measure
    # it, in its baseline run): QA judges the changed lines only.
    if project.low_coverage:
        percent = re.search(r"^TOTAL\s.*?(\d+)%$", baseline, re.M)
        assert percent and int(percent.group(1)) < 60, baseline[-1500:]
    tests_gate = broken[0]
    assert not tests_gate.passed and project.broken_test in tests_gate.detail, tests_gate
    # ... with its own traceback and assertion, not the failures that were there before.
    title = project.broken_test.split("::", 1)[1]
    assert re.search(rf"_ {re.escape(title)}(\[[^\]]*\])? _", tests_gate.detail), tests_gate
    assert "\nE  " in tests_gate.detail and "_dbm" not in tests_gate.detail, tests_gate.detail
    finding = gates.findings(broken)[0]
    assert finding.startswith("tests: ") and project.broken_test in finding, finding
    coverage = untested[1]
    assert not coverage.passed and coverage.detail.startswith("diff coverage: "), coverage
    assert f"  {project.path}: " in coverage.detail, coverage.detail


# --------------------------------------------------------------------------- a Node project


@pytest.fixture(scope="module")
def npm_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with npm_registry(tmp_path_factory.mktemp("npm")) as url:
        yield url


def checkout_xtend(where: Path, lock_name: str = "package-lock.json") -> Path:
    """xtend 4.0.2's npm tarball as a git repository, with the lock npm (or pnpm) wrote for it
    (a registry tarball has none) and the `.gitignore` a Node repository has."""
    version, _ = npm_pins()["xtend"]
    with tarfile.open(npm_tarball("xtend", version)) as tar:
        tar.extractall(where, filter="data")
    repo = where / "package"
    assert (repo / "LICENSE").is_file()  # kept with its licence
    lock = ROOT / "tests" / "data" / "node" / f"xtend-{version}.{lock_name}"
    (repo / lock_name).write_text(lock.read_text())
    (repo / ".gitignore").write_text("node_modules\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"xtend {version}")
    git(repo, "tag", "base")
    return repo


async def test_a_real_node_project_gets_npm_ci_a_baseline_and_qa_on_the_change(
    npm_index: str, tmp_path: Path, tenant: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = checkout_xtend(tmp_path / "src")
    config = PrepareConfig(tmp_path / "envs", "http://localhost:9/simple", ("localhost",))
    config = dataclasses.replace(config, npm_registry=npm_index)
    for k, v in config.to_env().items():
        monkeypatch.setenv(k, v)
    executor, decide, call = guarded(tenant, pg_url)

    immutable = repo / "immutable.js"
    source = immutable.read_text()
    loop = "            if (hasOwnProperty.call(source, key)) {"
    try:
        server = sandbox_server.build_server(executor, repo, timeout_s=300)
        async with Client(server) as client:
            built = await call(client, "prepare_env")
            again = await call(client, "prepare_env")
            baseline = await call(client, "run_tests")
            immutable.write_text(source.replace("var target = {}", "var target = Object({})"))
            correct = await qa(client, decide)
            immutable.write_text(source.replace(loop, loop.replace("if (", "if (!")))
            broken = await qa(client, decide)
    finally:
        await executor.aclose()
    assert built.startswith("environment built for package.json (npm ci from package-lock"), built
    assert "added 5 packages" in built, built
    assert again == "environment ready (cached) for package.json (npm ci from package-lock.json)"
    # the project's own suite, with its own test runner (tape from node_modules), at the base
    assert "[exit code 0" in baseline and "# pass  15" in baseline, baseline[-2000:]
    assert all(r.passed for r in correct), [r for r in correct if not r.passed]
    coverage = next(r for r in correct if r.name == "coverage")
    assert coverage.detail.startswith("diff coverage: not measured"), coverage
    assert git(repo, "status", "--porcelain").split() == ["M", "immutable.js"]
    tests_gate = broken[0]
    assert not tests_gate.passed and "not ok" in tests_gate.detail, tests_gate


async def test_a_node_project_with_a_pnpm_lock_gets_pnpms_frozen_install(
    npm_index: str, tmp_path: Path, tenant: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = checkout_xtend(tmp_path / "src", "pnpm-lock.yaml")
    config = PrepareConfig(tmp_path / "envs", "http://localhost:9/simple", ("localhost",))
    config = dataclasses.replace(config, npm_registry=npm_index)
    for k, v in config.to_env().items():
        monkeypatch.setenv(k, v)
    executor, _, call = guarded(tenant, pg_url)
    try:
        server = sandbox_server.build_server(executor, repo, timeout_s=300)
        async with Client(server) as client:
            built = await call(client, "prepare_env")
            baseline = await call(client, "run_tests")
    finally:
        await executor.aclose()
    how = "package.json (pnpm 9.15.9 install --frozen-lockfile from pnpm-lock.yaml)"
    assert built.startswith(f"environment built for {how}"), built
    assert "[exit code 0" in baseline and "# pass  15" in baseline, baseline[-2000:]
    assert git(repo, "status", "--porcelain") == ""  # node_modules was mounted, not written
