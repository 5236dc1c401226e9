"""The bubblewrap sandbox, for real: no network, no writes outside the worktree, no inherited
secrets, time and memory limits, cancellation kills everything, and a real repo's tests run."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from shared.sandbox import (
    SandboxUnavailable,
    detect_coverage_command,
    detect_lint_command,
    detect_test_command,
    run_sandboxed,
)


def git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    run = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(path)]
    subprocess.run([*run, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*run, "add", "-A"], check=True)
    subprocess.run([*run, "commit", "-q", "-m", "init"], check=True)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_repo(
        tmp_path / "wt",
        {
            "calc.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": (
                "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
            ),
            "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
        },
    )


async def test_no_network_inside_while_the_host_reaches_the_listener(repo: Path) -> None:
    accepted: list[bool] = []

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(True)
        writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        # reachable from the test process ...
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        await asyncio.sleep(0.05)
        assert accepted == [True]
        # ... and not from inside the sandbox
        probe = (
            "import socket\n"
            "s = socket.socket()\n"
            "s.settimeout(3)\n"
            "try:\n"
            f"    s.connect(('127.0.0.1', {port}))\n"
            "    print('CONNECTED')\n"
            "except OSError as e:\n"
            "    print('REFUSED', e)\n"
        )
        result = await run_sandboxed(["python", "-c", probe], repo, timeout_s=20)
        assert "REFUSED" in result.output and "CONNECTED" not in result.output
        assert accepted == [True]
    finally:
        server.close()
        await server.wait_closed()


async def test_writes_land_only_in_the_worktree(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    script = (
        f"echo x > {outside}/marker; echo x > /usr/marker; echo x > /etc/marker; "
        "echo x > /marker; echo x > .git/hooks/pre-commit; echo x > .git/config; "
        "echo ok > inside.txt; echo done"
    )
    result = await run_sandboxed(script, repo, timeout_s=20)
    assert "done" in result.output
    assert result.output.count("Read-only file system") >= 4
    assert not (outside / "marker").exists()
    assert not any(map(os.path.exists, ("/usr/marker", "/etc/marker", "/marker")))
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    assert "[core]" in (repo / ".git" / "config").read_text()
    assert (repo / "inside.txt").read_text() == "ok\n"


async def test_the_environment_holds_no_secret_of_the_parent(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-parent-secret-123")
    monkeypatch.setenv("DEVFORGE_DATABASE_URL", "postgresql://u:pw@db/x")
    result = await run_sandboxed(["env"], repo, timeout_s=20, env_extra={"EXTRA": "1"})
    assert result.exit_code == 0
    assert "HOME=/tmp" in result.output and "EXTRA=1" in result.output
    assert "sk-test-parent-secret-123" not in result.output
    assert "OPENAI_API_KEY" not in result.output and "DEVFORGE" not in result.output
    # of /root only the interpreter's own prefix is there (read-only), no home, no shadow file
    home = await run_sandboxed("ls -A /root", repo, timeout_s=20)
    assert set(home.output.split()) <= {".pyenv"}
    shadow = await run_sandboxed("cat /etc/shadow", repo, timeout_s=20)
    assert shadow.exit_code != 0 and "No such file" in shadow.output


async def test_the_time_limit_kills_the_whole_tree_quickly(repo: Path) -> None:
    started = time.monotonic()
    # An argument no other process on the machine uses: only this test's sleepers are counted.
    result = await run_sandboxed("sleep 60.0713 & sleep 60.0713; echo never", repo, timeout_s=1)
    assert result.timed_out and "never" not in result.output
    assert time.monotonic() - started < 10
    for _ in range(50):  # the kill is asynchronous: give the kernel a moment, not a minute
        if not _sleepers("60.0713"):
            break
        await asyncio.sleep(0.1)
    assert not _sleepers("60.0713")


def _sleepers(arg: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if cmd[:2] == ["sleep", arg]:
            found.append(p)
    return found


async def test_cancelling_the_call_kills_the_sandbox(repo: Path) -> None:
    task = asyncio.create_task(run_sandboxed("sleep 61.5; touch late.txt", repo, timeout_s=60))
    for _ in range(50):
        await asyncio.sleep(0.1)
        if _sleepers("61.5"):
            break
    assert _sleepers("61.5")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.3)
    assert not _sleepers("61.5")
    assert not (repo / "late.txt").exists()


async def test_memory_limit_and_output_bound(repo: Path) -> None:
    hog = await run_sandboxed(
        ["python", "-c", "b = bytearray(800 * 1024 * 1024); print('allocated')"],
        repo,
        timeout_s=20,
        memory_mb=300,
    )
    assert hog.exit_code != 0 and "MemoryError" in hog.output
    loud = await run_sandboxed(
        ["python", "-c", "print('a' * 100000 + 'END')"], repo, timeout_s=20, max_output=2000
    )
    assert loud.truncated and loud.output.rstrip().endswith("END") and len(loud.output) < 2200


async def test_a_real_repo_tests_and_git_run_inside(repo: Path) -> None:
    cmd = detect_test_command(repo)
    assert cmd is not None
    result = await run_sandboxed(cmd, repo, timeout_s=60)
    assert result.exit_code == 0, result.output
    assert "1 passed" in result.output
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    failing = await run_sandboxed(cmd, repo, timeout_s=60)
    assert failing.exit_code == 1 and "1 failed" in failing.output
    status = await run_sandboxed(["git", "status", "--short"], repo, timeout_s=20)
    assert status.exit_code == 0 and "M calc.py" in status.output


def test_gate_commands_are_detected(tmp_path: Path, repo: Path) -> None:
    assert detect_coverage_command(repo, 80) == [
        *detect_test_command(repo),  # type: ignore[misc]
        "--cov=.",
        "--cov-report=term",
        "--cov-fail-under=80",
    ]
    assert detect_lint_command(repo) is not None and detect_lint_command(repo)[0] == "ruff"  # type: ignore[index]
    node = tmp_path / "node"
    node.mkdir()
    (node / "package.json").write_text('{"scripts": {"test": "node t.js", "lint": "eslint ."}}')
    assert detect_test_command(node) == ["npm", "test", "--silent"]
    assert detect_lint_command(node) == ["npm", "run", "--silent", "lint"]
    assert detect_coverage_command(node, None) is None
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "package.json").write_text('{"scripts": {"test": "echo no test specified"}}')
    assert detect_test_command(empty) is None


async def test_without_bwrap_it_refuses_unless_explicitly_unsafe_outside_ci(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("bash", "python3"):
        (bare / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    monkeypatch.setenv("PATH", str(bare))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("DEVFORGE_UNSAFE_LOCAL_SANDBOX", raising=False)
    with pytest.raises(SandboxUnavailable):
        await run_sandboxed(["true"], repo)
    monkeypatch.setenv("DEVFORGE_UNSAFE_LOCAL_SANDBOX", "1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(SandboxUnavailable, match="CI"):
        await run_sandboxed(["true"], repo)
    monkeypatch.delenv("CI")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-parent-secret-123")
    with pytest.warns(RuntimeWarning, match="UNSANDBOXED"):
        result = await run_sandboxed("echo unsafe-ran; env", repo, timeout_s=10)
    assert "unsafe-ran" in result.output and "sk-test-parent" not in result.output


async def test_terminal_colour_codes_never_reach_the_output(repo: Path) -> None:
    coloured = r"print('\x1b[31m\x1b[1m1 failed\x1b[0m, \x1b[32m3 passed\x1b[0m\x1b[2K')"
    out = await run_sandboxed(["python", "-c", coloured], repo, timeout_s=20)
    assert out.exit_code == 0 and out.output == "1 failed, 3 passed\n", repr(out.output)
