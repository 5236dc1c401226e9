"""MCP server ``sandbox``: commands, tests and quality gates in one job's worktree, sandboxed.

Run as a script over stdio: ``python mcp/sandbox_server.py`` with, in its environment,
``DEVFORGE_WORKTREE``, ``DEVFORGE_TENANT``, ``DEVFORGE_JOB_ID``, ``DEVFORGE_GUARD_PUBLIC_KEY``,
``DEVFORGE_DATABASE_URL`` and optionally ``DEVFORGE_SANDBOX_TIMEOUT`` (seconds, default 600),
``DEVFORGE_SANDBOX_MEMORY_MB`` (default 4096), ``DEVFORGE_SEMGREP`` / ``DEVFORGE_SEMGREP_RULES``
(see mcp/README.md).

Every tool takes its own arguments plus ``decision`` (the guard's signed ``step.approved``) and is
refused unless the decision covers exactly these arguments for this job; a step runs at most
once. Every command runs through ``shared.sandbox.run_sandboxed`` (bubblewrap: no network, writes
only in the worktree, ``.git`` read-only, clean environment, time and memory limits). A command
that ran returns ``[exit code N, ...]`` and its output (redacted, bounded); a call that could not
run returns a tool error.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mcp.server.mcpserver.exceptions import ToolError

from shared import repoconf
from shared.envspec import PrepareError
from shared.executor import (
    Decision,
    Executor,
    GuardedServer,
    PathRefused,
    is_regular,
    open_beneath,
)
from shared.prepare import PrepareConfig, environment_for, prepare, read_declared
from shared.prepare_node import node_environment_for, prepare_node, read_node
from shared.qa import diffcov, lint, semgrep
from shared.qa.changes import added_by_file, changed_from_headers
from shared.sandbox import (
    Result,
    SandboxUnavailable,
    detect_coverage_command,
    detect_lint_command,
    detect_test_command,
    run_sandboxed,
)

MAX_COMMAND = 10_000
GIT_TIMEOUT_S = 60.0
MAX_UNTRACKED_FILE = 1024 * 1024
MAX_UNTRACKED_TOTAL = 16 * 1024 * 1024
MAX_FINDINGS = 200
MAX_TARGETS = 200  # semgrep's targets on its command line; beyond, it scans everything
_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/~^@{}-]{0,199}$")
GIT_DIFF = ["git", "--no-pager", "diff", "--no-ext-diff", "--no-textconv", "--no-color"]

INSTRUCTIONS = (
    "Runs commands, tests and quality gates in this job's worktree inside a sandbox without "
    "network. Every call needs the guard's decision for exactly its arguments."
)


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def _check_ref(base: str | None) -> list[str]:
    """The revision to diff against (HEAD by default), refused unless a plain ref name."""
    if base is None:
        return ["HEAD"]
    if not _REF.match(base) or ".." in base.replace("...", ""):
        raise ToolError("refused: base must be a plain branch, tag or commit name")
    return [base]


def build_server(
    executor: Executor,
    worktree: str | Path | None,
    *,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    read_only: bool | None = None,
) -> GuardedServer:
    """The sandbox server for one worktree (an unusable worktree refuses every call). With
    ``read_only`` (default: ``DEVFORGE_WORKTREE_READONLY=1``, set for a role that does not
    edit, the lead) commands see the worktree read-only."""
    wt = Path(worktree) if worktree else None
    if wt is None or not wt.is_absolute() or not wt.is_dir():
        executor.problems.append("DEVFORGE_WORKTREE is not an absolute path to a directory")
        wt = Path("/nonexistent")
    root = wt.resolve()
    limit_s = timeout_s if timeout_s is not None else _env_float("DEVFORGE_SANDBOX_TIMEOUT", 600)
    mem = memory_mb or int(_env_float("DEVFORGE_SANDBOX_MEMORY_MB", 4096))
    server = GuardedServer("sandbox", executor, instructions=INSTRUCTIONS)
    if read_only is None:
        read_only = os.environ.get("DEVFORGE_WORKTREE_READONLY") == "1"

    prepare_config = PrepareConfig.from_env()

    def prepared(code: Path) -> tuple[list[Path], dict[str, str], list[tuple[Path, Path]]]:
        """Mounts for the environments prepared for the worktree's current dependency files,
        with ``code`` (the worktree, or a base commit's files) on the import path and its
        ``node_modules`` in place."""
        if prepare_config is None:
            return [], {}, []
        tenant = executor.tenant or "_"
        python = environment_for(prepare_config, tenant, root, code)
        env = python.env
        mounts, node_env = node_environment_for(prepare_config, tenant, root, code)
        if "PATH" in env and "PATH" in node_env:  # both: the project's Node tools, then Python's
            node_env["PATH"] = node_env["PATH"].split(":", 1)[0] + ":" + env["PATH"]
        return python.binds, {**env, **node_env}, [*python.mounts, *mounts]

    async def run(
        command: Sequence[str] | str,
        *,
        cwd: Path | None = None,
        timeout: float | None = None,
        ro_binds: Sequence[Path] = (),
        rw_binds: Sequence[Path] = (),
        env_extra: dict[str, str] | None = None,
    ) -> Result:
        env_binds, env_vars, env_mounts = prepared(cwd or root)
        try:
            return await run_sandboxed(
                command,
                cwd or root,
                timeout_s=min(timeout or limit_s, limit_s),
                memory_mb=mem,
                ro_binds=[*ro_binds, *env_binds],
                rw_binds=rw_binds,
                env_extra={**env_vars, **(env_extra or {})},
                worktree_writable=not read_only,
                ro_mounts=env_mounts,
            )
        except SandboxUnavailable as exc:
            raise ToolError(f"sandbox unavailable: {exc}") from None

    async def git(args: list[str]) -> str:
        result = await run(args, timeout=GIT_TIMEOUT_S)
        if result.exit_code != 0 or result.timed_out:
            raise ToolError(f"git failed: {result.render()[:500]}")
        return result.output

    def test_command() -> list[str] | None:
        """The one the tenant set for the repository (``DEVFORGE_TEST_COMMAND``), else the
        repository's own (``.devforge.toml``), else the one detected."""
        try:
            if given := os.environ.get("DEVFORGE_TEST_COMMAND"):
                return list(repoconf.test_command(given, "the repository's test command"))
            own = repoconf.read(root).test_command
        except repoconf.RepoConfigError as exc:
            raise ToolError(f"refused: {exc}") from None
        return list(own) if own else detect_test_command(root)

    async def changed_since(base: str) -> dict[str, set[int]]:
        """Path -> lines the worktree adds since ``base``, untracked files whole."""
        # Only the file and hunk headers: a -U0 hunk's new range is exactly its added lines,
        # and the headers of a large change fit the sandbox's output bound where its text won't.
        diff = f"{shlex.join(GIT_DIFF)} -U0 {shlex.quote(_check_ref(base)[0])} -- > /tmp/d"
        keep = "grep -E '^(diff --git |[+][+][+] |@@ )' /tmp/d; test $? -le 1"  # 1: none found
        changed = changed_from_headers(await git(["bash", "-c", f"{diff} && {keep}"]))
        listed = await git(["git", "ls-files", "--others", "--exclude-standard", "-z"])
        for path in [p for p in listed.split("\x00") if p]:
            content = _read_untracked(root, path)
            if content is not None:
                changed[path] = set(range(1, content.count("\n") + 2))
        return changed

    @server.declared
    async def run_command(command: str, decision: Decision) -> str:
        if not command.strip() or len(command) > MAX_COMMAND or "\x00" in command:
            raise ToolError(f"refused: the command must be 1-{MAX_COMMAND} characters")
        return (await run(command)).render()

    @server.declared
    async def prepare_env(decision: Decision) -> str:
        if prepare_config is None:
            raise ToolError("the prepare phase is not configured (DEVFORGE_ENVS_DIR)")
        tenant = executor.tenant or "_"
        said: list[str] = []
        try:
            decl = read_declared(root, prepare_config.private_url)
            node = read_node(prepare_config, root)
            if decl.needed:
                _, built, result = await prepare(prepare_config, tenant, root, decl)
                said.append(_prepared(decl.describe(), built, result))
            if node is not None and node.needed:
                _, built, result = await prepare_node(prepare_config, tenant, root, node)
                said.append(_prepared(node.describe(), built, result))
        except PrepareError as exc:
            raise ToolError(f"refused: {exc}") from None
        except SandboxUnavailable as exc:
            raise ToolError(f"sandbox unavailable: {exc}") from None
        if not said:
            what = decl.describe() or ("package.json" if node else "no dependency file")
            return f"nothing to prepare: {what} declares nothing beyond the test tools"
        return "\n\n".join(said)

    @server.declared
    async def run_tests(
        decision: Decision,
        tests: list[str] | None = None,
        keyword: str | None = None,
        base: str | None = None,
    ) -> str:
        cmd = test_command()
        if cmd is None:
            raise ToolError("no test command found (no Python tests, no npm test script)")
        if tests or keyword:
            if not _is_pytest(cmd):
                raise ToolError("refused: tests and keyword select pytest tests only")
            if tests:  # the ids chosen, not also the paths the command names itself
                cmd = _without_paths(cmd, root)
            cmd += _selection(tests or [], keyword)
        if base is None:
            return f"$ {' '.join(cmd)}\n" + (await run(cmd)).render()
        ref = _check_ref(base)[0]
        with tempfile.TemporaryDirectory(prefix="devforge-base-") as tmp:
            tree = Path(tmp)
            unpack = f"git archive --format=tar {shlex.quote(ref)} | tar -x -C {shlex.quote(tmp)}"
            unpacked = await run(["bash", "-c", f"set -o pipefail; {unpack}"],
                                 timeout=GIT_TIMEOUT_S, rw_binds=[tree])  # fmt: skip
            if unpacked.exit_code != 0 or unpacked.timed_out:
                raise ToolError(f"could not check out {ref}: {unpacked.render()[:500]}")
            result = await run(cmd, cwd=tree, rw_binds=[tree])
        return f"$ {' '.join(cmd)}  (on {ref})\n" + result.render()

    @server.declared
    async def run_coverage(
        decision: Decision, threshold: float | None = None, base: str | None = None
    ) -> str:
        if threshold is not None and not 0 <= threshold <= 100:
            raise ToolError("refused: threshold must be between 0 and 100")
        own = test_command()
        pytest_run = own if own is not None and _is_pytest(own) else None
        if base is None or pytest_run is None:
            cmd = detect_coverage_command(root, threshold)
            if cmd is None and base is not None and own is not None:
                return (  # tests that run, no coverage tool: the tests gate judges them
                    f"diff coverage: not measured (threshold {threshold or 0:g}%): passed\n"
                    "diff coverage is measured for pytest; this repository's tests are "
                    f"`{' '.join(own)}` and it defines no coverage command (for npm, a "
                    "`coverage` script)"
                )
            if cmd is None:
                raise ToolError("no coverage command found (no Python tests, no coverage script)")
            _need_pytest_cov(cmd)
            result = await run(cmd)
            if base is None:
                return f"$ {' '.join(cmd)}\n" + result.render()
            verdict = "passed" if result.exit_code == 0 and not result.timed_out else "failed"
            return (
                f"diff coverage: not measured (threshold {threshold or 0:g}%): {verdict}\n"
                "diff coverage is measured for pytest; the repository's own coverage command "
                f"ran and its exit status decides\n\n$ {' '.join(cmd)}\n" + result.render()
            )
        _need_pytest_cov(pytest_run)
        changed = await changed_since(base)
        with tempfile.TemporaryDirectory(prefix="devforge-cov-") as out_dir:
            report = Path(out_dir) / "coverage.json"
            cmd = [*pytest_run, "--cov=.", f"--cov-report=json:{report}"]  # no terminal table
            result = await run(cmd, rw_binds=[Path(out_dir)])
            try:
                measured = diffcov.parse_report(report.read_text(encoding="utf-8"))
            except OSError:
                verdict = "diff coverage: failed: the tests wrote no coverage report"
            except ValueError as exc:
                verdict = f"diff coverage: failed: {exc}"
            else:
                verdict = diffcov.measure(measured, changed, threshold or 0).render()
        return f"{verdict}\n\n$ {' '.join(cmd)}\n" + result.render()

    @server.declared
    async def run_lint(decision: Decision, base: str | None = None) -> str:
        if base is not None:
            return await lint_changes(base)
        cmd = detect_lint_command(root)
        if cmd is None:
            raise ToolError("no linter found (not a Python project, no npm lint script)")
        if cmd[0] == "ruff" and not (Path(sys.prefix) / "bin" / "ruff").exists():
            raise ToolError("lint unavailable: ruff is not in the sandbox toolchain")
        return f"$ {' '.join(cmd)}\n" + (await run(cmd)).render()

    async def lint_changes(base: str) -> str:
        changed = await changed_since(base)
        files = sorted(p for p in changed if p.endswith((".py", ".pyi")) and (root / p).is_file())
        ruff = Path(sys.prefix) / "bin" / "ruff"
        if not files:
            return "[exit code 0, nothing run: no changed Python files]\n[]"
        if not ruff.exists():
            raise ToolError("lint unavailable: ruff is not in the sandbox toolchain")
        # --no-fix: a repository's `fix = true` must never let the gate change its files
        cmd = [str(ruff), "check", "--no-cache", "--no-fix", "--quiet", "--exit-zero"]
        cmd += ["--output-format", "json"]
        result = await run([*cmd, "--", *files[:MAX_TARGETS]])
        head, _, body = result.render().partition("\n")
        with contextlib.suppress(ValueError):  # the gate names what is wrong with the report
            body = lint.on_changed_lines(body, changed, root)
        return f"{head}\n{body}"

    @server.declared
    async def run_semgrep(decision: Decision, base: str | None = None) -> str:
        if base is None:
            cmd, binds = _semgrep_command(["."])
            return (await run(cmd, ro_binds=binds)).render()
        changed = await changed_since(base)
        files = sorted(p for p in changed if (root / p).is_file() and not (root / p).is_symlink())
        if not files:
            empty = json.dumps({"results": [], "errors": [], "devforge": {"dropped": 0}})
            return f"[exit code 0, nothing run: no changed files to scan]\n{empty}"
        targets = [f"./{p}" for p in files] if len(files) <= MAX_TARGETS else ["."]
        cmd, binds = _semgrep_command(targets)
        result = await run(cmd, ro_binds=binds)
        head, _, body = result.render().partition("\n")
        with contextlib.suppress(ValueError):  # the gate names what is wrong with the report
            body = semgrep.on_changed_lines(body, changed)
        return f"{head}\n{body}"

    @server.declared
    async def scan_secrets(decision: Decision, base: str | None = None) -> str:
        from shared.policy.secrets import scan

        diff = await git([*GIT_DIFF, "-U0", *_check_ref(base), "--"])
        listed = await git(["git", "ls-files", "--others", "--exclude-standard", "-z"])
        lines: list[str] = []
        for path, numbers, text in added_by_file(diff):
            for f in scan(text):
                lines.append(f"{path}:{numbers[f.line - 1]}: {f.kind} {f.redacted}")
        total = 0
        for path in [p for p in listed.split("\x00") if p]:
            content = _read_untracked(root, path)
            if content is None:
                continue
            total += len(content)
            if total > MAX_UNTRACKED_TOTAL:
                lines.append("[untracked files beyond 16 MiB were not scanned]")
                break
            for f in scan(content):
                lines.append(f"{path}:{f.line}: {f.kind} {f.redacted} (untracked)")
        if not lines:
            return "no secrets found"
        head = f"{len(lines)} possible secret(s) found"
        return "\n".join([head, *lines[:MAX_FINDINGS]])

    @server.declared
    async def git_status(decision: Decision) -> str:
        return await git(["git", "status", "--short", "--branch", "--untracked-files=all"])

    @server.declared
    async def git_diff(decision: Decision, base: str | None = None) -> str:
        diff = await git([*GIT_DIFF, *_check_ref(base), "--"])
        listed = await git(["git", "ls-files", "--others", "--exclude-standard"])
        if listed.strip():
            diff += "\n# untracked files (not in the diff):\n" + listed
        return diff or "(no changes)"

    return server


def _prepared(what: str, built: bool, result: Result | None) -> str:
    if not built or result is None:
        return f"environment ready (cached) for {what}"
    return f"environment built for {what}\n" + result.render()[-2000:]


def _without_paths(cmd: list[str], root: Path) -> list[str]:
    """``cmd`` without the arguments after its runner that name a file or directory of the
    repository (a tox or Makefile command's ``tests/``)."""
    keep = 3 if cmd[:3] == ["python", "-m", "pytest"] else 1
    rest = [
        w
        for w in cmd[keep:]
        if w.startswith("-") or not w.strip("/") or not (root / w.split("::")[0]).exists()
    ]
    return [*cmd[:keep], *rest]


def _selection(tests: list[str], keyword: str | None) -> list[str]:
    """pytest arguments selecting ``tests`` and ``keyword``; nothing that reads as an option."""
    picked = [t for t in tests if t.strip()]
    if len(picked) > 200 or any(t.startswith("-") or "\x00" in t for t in picked):
        raise ToolError("refused: tests are up to 200 test ids or paths, none starting with '-'")
    args = ["--", *picked] if picked else []
    if keyword is not None:
        if not keyword.strip() or len(keyword) > 500 or "\x00" in keyword:
            raise ToolError("refused: keyword must be a -k expression of 1-500 characters")
        args = ["-k", keyword, *args]
    return args


def _is_pytest(cmd: list[str]) -> bool:
    return cmd[:1] in (["pytest"], ["py.test"]) or cmd[:3] == ["python", "-m", "pytest"]


def _need_pytest_cov(cmd: list[str]) -> None:
    """DevForge's own toolchain must carry pytest-cov (a prepared environment always does)."""
    if cmd[:3] == ["python", "-m", "pytest"] and importlib.util.find_spec("pytest_cov") is None:
        raise ToolError("coverage unavailable: pytest-cov is not in the sandbox toolchain")


def _semgrep_command(targets: list[str]) -> tuple[list[str], list[Path]]:
    """(argv, read-only mounts) of the configured semgrep (its own virtualenv, local rules)."""
    project = Path(__file__).resolve().parents[1]  # defaults: `make install`'s own semgrep
    binary = os.environ.get("DEVFORGE_SEMGREP", "").strip() or str(
        project / ".venv-tools" / "bin" / "semgrep"
    )
    rules = os.environ.get("DEVFORGE_SEMGREP_RULES", "").strip() or str(
        project / "shared" / "qa" / "semgrep.yml"
    )
    if not binary or not os.path.isabs(binary) or not os.access(binary, os.X_OK):
        raise ToolError("semgrep is not configured (DEVFORGE_SEMGREP: absolute path)")
    if not rules or not os.path.isabs(rules) or not os.path.isfile(rules):
        raise ToolError("semgrep rules are not configured (DEVFORGE_SEMGREP_RULES: a file)")
    binds = [Path(binary).resolve().parent.parent, Path(rules).resolve()]
    # semgrep's runtime loads the system's CA bundle at start even offline (public data).
    binds += [p for p in (Path("/etc/ssl/certs"), Path("/usr/share/ca-certificates")) if p.exists()]
    cmd = [binary, "scan", "--config", rules, "--metrics=off", "--disable-version-check"]
    return [*cmd, "--json", "--quiet", *targets], binds


def _read_untracked(root: Path, rel: str) -> str | None:
    try:
        fd = open_beneath(root, rel, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, PathRefused):
        return None
    try:
        if not is_regular(fd):
            return None
        data = os.read(fd, MAX_UNTRACKED_FILE)
    finally:
        os.close(fd)
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    executor = Executor.from_env()
    server = build_server(executor, os.environ.get("DEVFORGE_WORKTREE"))
    server.run("stdio")


if __name__ == "__main__":
    main()
