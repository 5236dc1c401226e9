"""A repository's own environment, built from the real registry (PyPI) through the prepare
phase's allowlisting proxy, as jobs meet it: the first job of a tenant (an empty package cache),
a second job on the same repository (the environment is reused), and a job after a change to a
dependency file (a new environment from the tenant's warm cache). Three rounds, each with a new
tenant; medians. The repository declares an old pinned test tool (its own pins first), a
runtime dependency with a range, and a PEP 735 group. Then the real projects the tests use
(tests/data/projects.txt and npm.txt, from .cache): each one's first job (a new tenant) and second
job, from the real registries (PyPI; registry.npmjs.org for the Node one), one round each."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import ROOT, median
from shared.prepare import DEFAULT_INDEX, PrepareConfig, prepare, read_declared
from shared.prepare_node import prepare_node, read_node
from tests.support.npm_cache import pins as npm_pins
from tests.support.npm_cache import tarball as npm_tarball

ROUNDS = 3
PYPROJECT = """[project]
name = "acme-bench"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests>=2.31,<3", "attrs"]

[project.optional-dependencies]
test = ["pytest==8.3.2", "pytest-cov"]

[dependency-groups]
dev = ["freezegun"]
"""


def _repo(where: Path) -> Path:
    wt = where / "acme"
    (wt / "tests").mkdir(parents=True)
    (wt / "pyproject.toml").write_text(PYPROJECT)
    (wt / "tests" / "test_ok.py").write_text("def test_ok() -> None:\n    assert True\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", "-C", str(wt), *args], check=True, capture_output=True)
    return wt


async def _timed(config: PrepareConfig, tenant: str, wt: Path) -> tuple[float, bool, Path]:
    started = time.perf_counter()
    env, built, _ = await prepare(config, tenant, wt, read_declared(wt))
    return time.perf_counter() - started, built, env


async def _round(tmp: Path) -> dict[str, float]:
    wt = _repo(tmp)
    config = PrepareConfig(envs_dir=tmp / "envs", index_url=DEFAULT_INDEX)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    first, built, env = await _timed(config, tenant, wt)
    assert built and (env / "bin" / "python").exists()
    second, rebuilt, again = await _timed(config, tenant, wt)
    assert not rebuilt and again == env
    (wt / "pyproject.toml").write_text(PYPROJECT + "\n# a changed dependency file\n")
    warm, built_warm, _ = await _timed(config, tenant, wt)
    assert built_warm
    return {"first_job_s": first, "second_job_s": second, "changed_files_warm_cache_s": warm}


def _unpack(archive: Path, where: Path) -> Path:
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(where, filter="data")
    return next(p for p in where.iterdir() if p.is_dir())


async def _real(tmp: Path) -> dict[str, float]:
    """First and second job of each real project, from the real registries."""
    out: dict[str, float] = {}
    for sdist in sorted((ROOT / ".cache" / "projects").glob("*.tar.gz")):
        name = sdist.name.rsplit("-", 1)[0]
        wt = _unpack(sdist, tmp / name)
        config = PrepareConfig(envs_dir=tmp / "envs", index_url=DEFAULT_INDEX)
        tenant = f"bench-{uuid.uuid4().hex[:8]}"
        out[f"real.{name}.first_job_s"], built, _ = await _timed(config, tenant, wt)
        out[f"real.{name}.second_job_s"], rebuilt, _ = await _timed(config, tenant, wt)
        assert built and not rebuilt
    version, _ = npm_pins()["xtend"]
    wt = _unpack(npm_tarball("xtend", version), tmp / "xtend")
    lock = ROOT / "tests" / "data" / "node" / f"xtend-{version}.package-lock.json"
    (wt / "package-lock.json").write_text(lock.read_text())
    config = PrepareConfig(envs_dir=tmp / "envs")
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    for job in ("first", "second"):
        started = time.perf_counter()
        decl = read_node(config, wt)
        assert decl is not None
        _, built, _ = await prepare_node(config, tenant, wt, decl)
        out[f"real.xtend.{job}_job_s"] = time.perf_counter() - started
        assert built is (job == "first")
    return {k: round(v, 3) for k, v in out.items()}


def run() -> dict[str, Any]:
    rounds = []
    for _ in range(ROUNDS):
        tmp = Path(tempfile.mkdtemp(prefix="devforge-bench-env-"))
        try:
            rounds.append(asyncio.run(_round(tmp)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    figures = {k: round(median([r[k] for r in rounds]), 3) for k in rounds[0]}
    tmp = Path(tempfile.mkdtemp(prefix="devforge-bench-real-"))
    try:
        figures.update(asyncio.run(_real(tmp)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "notes": __doc__.replace("\n", " ") if __doc__ else "",
        "rounds": ROUNDS,
        **figures,
        "first_over_second": round(figures["first_job_s"] / figures["second_job_s"], 1),
        "first_over_warm_cache": round(
            figures["first_job_s"] / figures["changed_files_warm_cache_s"], 2
        ),
    }
