"""Executor side of the trust boundary, without a database: decision checks, the claim rule,
and the openat2 path helpers (a signed call with an escaping path is still refused)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from shared.decisions import Signer, Verifier
from shared.executor import (
    Decision,
    Executor,
    PathRefused,
    Refused,
    bound_text,
    mkdirs_beneath,
    open_beneath,
    open_leaf,
    open_parent_beneath,
    resolved_relpath,
)

TENANT, JOB = "acme", "01jobxyz"


class MemoryStore:
    def __init__(self, fail: bool = False) -> None:
        self.rows: dict[tuple[str, str, str], str] = {}
        self.fail = fail

    async def claim(self, decision: Decision, tool: str) -> bool:
        if self.fail:
            raise ConnectionError("database down")
        key = (decision.tenant, decision.job_id, decision.step_id)
        if key in self.rows:
            return False
        self.rows[key] = "started"
        return True

    async def finish(self, decision: Decision, status: str) -> None:
        self.rows[(decision.tenant, decision.job_id, decision.step_id)] = status

    async def close(self) -> None:
        pass


@pytest.fixture
def signer() -> Signer:
    return Signer(SigningKey.generate())


def decide(
    signer: Signer, tool: str, args: dict[str, Any], step: str = "s1", **over: str
) -> dict[str, str]:
    tenant, job = over.get("tenant", TENANT), over.get("job_id", JOB)
    sig = signer.sign(tenant, job, step, tool, args)
    return {
        "tenant": tenant,
        "job_id": job,
        "step_id": step,
        "signature": sig.signature,
        "key_id": sig.key_id,
        "args_sha256": sig.args_sha256,
    }


def make(signer: Signer, store: MemoryStore | None = None) -> Executor:
    return Executor(
        verifier=Verifier([signer.public_key]),
        tenant=TENANT,
        job_id=JOB,
        store=store if store is not None else MemoryStore(),
    )


def test_a_decision_for_exactly_this_call_passes(signer: Signer) -> None:
    args = {"path": "a.txt", "content": "x"}
    d = make(signer).check("write_file", args, decide(signer, "write_file", args))
    assert (d.tenant, d.job_id, d.step_id) == (TENANT, JOB, "s1")


def test_every_other_decision_is_refused(signer: Signer) -> None:
    ex = make(signer)
    args = {"path": "a.txt", "content": "x"}
    good = decide(signer, "write_file", args)
    forged = dict(good, signature=good["signature"][:-4] + "AAA=")
    other = Signer(SigningKey.generate())
    cases: list[tuple[str, dict[str, Any], Any, str]] = [
        ("write_file", args, None, "no guard decision"),
        ("write_file", args, {"tenant": TENANT}, "malformed"),
        ("write_file", args, dict(good, extra="x"), "malformed"),
        ("write_file", args, forged, "signature"),
        ("write_file", args, decide(other, "write_file", args), "unknown signing key"),
        ("write_file", {"path": "b.txt", "content": "x"}, good, "arguments differ"),
        ("write_file", {**args, "mode": "x"}, good, "arguments differ"),
        ("delete_file", args, good, "signature"),  # signed for another tool
        ("write_file", args, dict(good, step_id="s2"), "signature"),
        ("write_file", args, decide(signer, "write_file", args, job_id="otherjob"), "another job"),
        ("write_file", args, decide(signer, "write_file", args, tenant="globex"), "another job"),
    ]
    for tool, call_args, decision, reason in cases:
        with pytest.raises(Refused, match=reason):
            ex.check(tool, call_args, decision)


def test_missing_configuration_refuses_every_call(signer: Signer) -> None:
    args = {"path": "a.txt"}
    d = decide(signer, "read_file", args)
    no_key = Executor(verifier=None, tenant=TENANT, job_id=JOB, store=MemoryStore())
    with pytest.raises(Refused, match="no guard public key"):
        no_key.check("read_file", args, d)
    unbound = Executor(
        verifier=Verifier([signer.public_key]), tenant=None, job_id=JOB, store=MemoryStore()
    )
    with pytest.raises(Refused, match="not bound"):
        unbound.check("read_file", args, d)
    storeless = Executor(
        verifier=Verifier([signer.public_key]), tenant=TENANT, job_id=JOB, store=None
    )
    with pytest.raises(Refused, match="execution store"):
        storeless.check("read_file", args, d)


def test_from_env_reads_keys_and_binding_and_fails_closed(signer: Signer) -> None:
    other = Signer(SigningKey.generate())
    env = {
        "DEVFORGE_GUARD_PUBLIC_KEY": f"{other.public_key}, {signer.public_key}",
        "DEVFORGE_TENANT": TENANT,
        "DEVFORGE_JOB_ID": JOB,
        "DEVFORGE_DATABASE_URL": "postgresql://nowhere/x",
    }
    args = {"path": "a.txt"}
    assert Executor.from_env(env).check("read_file", args, decide(signer, "read_file", args))
    for broken in ({"DEVFORGE_GUARD_PUBLIC_KEY": ""}, {"DEVFORGE_GUARD_PUBLIC_KEY": "bm9wZQ=="}):
        with pytest.raises(Refused):
            Executor.from_env({**env, **broken}).check(
                "read_file", args, decide(signer, "read_file", args)
            )
    with pytest.raises(Refused, match="not bound"):
        Executor.from_env({**env, "DEVFORGE_JOB_ID": ""}).check(
            "read_file", args, decide(signer, "read_file", args)
        )


async def test_a_step_is_claimed_once_and_a_dead_store_runs_nothing(signer: Signer) -> None:
    store = MemoryStore()
    ex = make(signer, store)
    args = {"command": "true"}
    d = ex.check("run_command", args, decide(signer, "run_command", args))
    await ex.claim(d, "run_command")
    with pytest.raises(Refused, match="step already executed"):
        await ex.claim(d, "run_command")
    await ex.finish(d, "succeeded")
    assert store.rows == {(TENANT, JOB, "s1"): "succeeded"}
    with pytest.raises(Refused, match="store unavailable"):
        await make(signer, MemoryStore(fail=True)).claim(d, "run_command")


def test_bound_text_marks_truncation() -> None:
    assert bound_text("abc", 10) == "abc"
    out = bound_text("x" * 30, 10)
    assert out.startswith("x" * 10) and "20 more characters" in out


# --------------------------------------------------------------------------- openat2 helpers


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    wt = tmp_path / "wt"
    (wt / "src").mkdir(parents=True)
    (wt / ".git" / "hooks").mkdir(parents=True)
    (wt / "src" / "a.py").write_text("print(1)\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("s3cret")
    (wt / "out").symlink_to(tmp_path / "outside")
    (wt / "rel_out").symlink_to("../outside")
    (wt / "gitlink").symlink_to(".git")
    (wt / "inner").symlink_to("src")
    (wt / "magic").symlink_to("/proc/self/root/etc")
    return wt


def test_paths_resolve_beneath_only(tree: Path) -> None:
    fd = open_beneath(tree, "inner/a.py", os.O_RDONLY)
    try:
        assert os.read(fd, 100) == b"print(1)\n"
        assert resolved_relpath(tree, fd) == "src/a.py"
    finally:
        os.close(fd)
    for bad in ("../outside/secret.txt", "src/../../outside/secret.txt", "/etc/passwd"):
        with pytest.raises(PathRefused):
            open_beneath(tree, bad, os.O_RDONLY)
    for escape in ("out/secret.txt", "rel_out/secret.txt", "magic/passwd"):
        with pytest.raises(PathRefused, match="escapes"):
            open_beneath(tree, escape, os.O_RDONLY)
    with pytest.raises(FileNotFoundError):
        open_beneath(tree, "nope.txt", os.O_RDONLY)


def test_writes_never_reach_git_or_follow_a_final_symlink(tree: Path) -> None:
    with pytest.raises(PathRefused, match=r"inside \.git"):
        mkdirs_beneath(tree, "gitlink/hooks/sub")
    assert not (tree / ".git" / "hooks" / "sub").exists()
    with pytest.raises(PathRefused, match=r"inside \.git"):
        mkdirs_beneath(tree, ".git/x")
    mkdirs_beneath(tree, "pkg/deep/er")
    assert (tree / "pkg" / "deep" / "er").is_dir()
    pfd, name = open_parent_beneath(tree, "src/inner_link")
    try:
        (tree / "src" / "inner_link").symlink_to(tree.parent / "outside" / "secret.txt")
        with pytest.raises(PathRefused, match="symbolic link"):
            open_leaf(pfd, name, os.O_WRONLY | os.O_CREAT)
    finally:
        os.close(pfd)
    assert (tree.parent / "outside" / "secret.txt").read_text() == "s3cret"
