"""The prepare phase on the real sandbox and a real allowlisting proxy: a package from the
(local) registry installs into a cached environment outside the worktree that later commands
mount read-only, and nothing but the allowlisted registry can be reached."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import threading
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shared.envspec import PrepareError
from shared.prepare import (
    PrepareConfig,
    mounts_for,
    place_generated,
    prepare,
    read_declared,
    run_with_egress,
)
from shared.private_index import load as load_private
from shared.sandbox import run_sandboxed
from tests.support.registry import package_index, serve_dir

FETCH = """
import sys, urllib.request
proxies = {} if sys.argv[2] == "direct" else {"http": "http://127.0.0.1:3128"}
opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies))
try:
    print("status", opener.open(sys.argv[1], timeout=10).status)
except Exception as exc:
    print("refused", type(exc).__name__, exc)
"""


def _found(root: Path, pattern: str) -> bool:
    return any(root.rglob(pattern))


def _status(url: str) -> int:
    return int(urllib.request.urlopen(url, timeout=5).status)


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    wt = tmp_path / "wt"
    wt.mkdir()
    (wt / "requirements-dev.txt").write_text("tinypkg==1.0  # the tests' helper\n")
    return wt


async def test_a_package_from_the_registry_installs_and_is_mounted_read_only(
    tmp_path: Path, worktree: Path
) -> None:
    with package_index(tmp_path / "index", "tinypkg", "1.0", "prepared-42") as index:
        config = PrepareConfig(
            envs_dir=tmp_path / "envs", index_url=index, allowlist=("localhost",)
        )
        decl = read_declared(worktree)
        env, built, result = await prepare(config, "acme", worktree, decl)
        assert built and result is not None and result.exit_code == 0, result
        # outside the worktree, per tenant and repository
        assert env.parent == tmp_path / "envs" / "acme" / "unnamed"
        assert (tmp_path / "envs" / "acme" / ".uv-cache").is_dir()  # the tenant's own cache
        assert not _found(worktree, "tinypkg*")
        again, built_again, _ = await prepare(config, "acme", worktree, decl)
        assert again == env and not built_again  # cached: nothing is fetched twice

    mounted = mounts_for(env, worktree)
    binds, extra = mounted.binds, mounted.env
    use = await run_sandboxed(
        ["python", "-c", "import tinypkg; print(tinypkg.VALUE)"],
        worktree,
        ro_binds=binds,
        env_extra=extra,
    )
    assert use.exit_code == 0 and "prepared-42" in use.output, use.output
    write = await run_sandboxed(
        ["python", "-c", f"open({str(env / 'x.py')!r}, 'w')"],
        worktree,
        ro_binds=binds,
        env_extra=extra,
    )
    assert write.exit_code != 0 and "Read-only file system" in write.output
    # The environment's own interpreter: DevForge's packages are not on its path.
    own = await run_sandboxed(
        ["python", "-c", "import sys; print(sys.prefix); import faststream"],
        worktree,
        ro_binds=binds,
        env_extra=extra,
    )
    assert own.output.startswith(str(env)) and "No module named 'faststream'" in own.output
    without = await run_sandboxed(["python", "-c", "import tinypkg"], worktree)
    assert without.exit_code != 0  # only mounted when asked for


async def test_only_the_allowlisted_registry_is_reachable(tmp_path: Path, worktree: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("secret intranet page\n")
    with (
        package_index(tmp_path / "index", "tinypkg", "1.0", "x") as index,
        serve_dir(tmp_path / "site", "127.0.0.2") as port,
    ):
        intranet = f"http://127.0.0.2:{port}/index.html"
        # From outside the sandbox the listener is there.
        assert await asyncio.to_thread(_status, intranet) == 200

        async def fetch(url: str, how: str) -> str:
            r = await run_with_egress(
                ["python", "-c", FETCH, url, how], worktree, allowlist=("localhost",)
            )
            assert r.exit_code == 0, r.output
            return r.output

        assert "status 200" in await fetch(f"{index}/tinypkg/", "proxy")  # the registry: yes
        through_proxy = await fetch(intranet, "proxy")
        assert "refused HTTPError" in through_proxy and "403" in through_proxy, through_proxy
        direct = await fetch(intranet, "direct")  # ignoring the proxy: no network at all
        assert direct.startswith("refused URLError"), direct


SETUP_PY = """\
from pathlib import Path
from setuptools import setup

# as setuptools-scm or hatch-vcs do: the build writes the version file the repository ignores
Path("stamped", "_version.py").write_text("VERSION = 'built'\\n")
setup(name="stamped", version="1.0", packages=["stamped"], install_requires=["tinypkg"])
"""


def _git(repo: Path, *args: str) -> str:
    base = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    return subprocess.run([*base, *args], check=True, capture_output=True, text=True).stdout


async def test_the_project_is_installed_editable_and_its_generated_files_reach_each_tree(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "stamped-repo"
    (repo / "stamped").mkdir(parents=True)
    (repo / "setup.py").write_text(SETUP_PY)
    (repo / "stamped" / "__init__.py").write_text("from ._version import VERSION\n")
    (repo / ".gitignore").write_text("stamped/_version.py\n*.egg-info/\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    with package_index(tmp_path / "index", "tinypkg", "1.0", "v") as index:
        config = PrepareConfig(
            envs_dir=tmp_path / "envs", index_url=index, allowlist=("localhost",)
        )
        env, built, result = await prepare(config, "acme", repo, read_declared(repo))
    assert built and result is not None and result.exit_code == 0, result
    assert "did not install" not in result.output, result.output
    assert not (repo / "stamped" / "_version.py").exists()  # the build wrote only its copy
    mounted = mounts_for(env, repo)  # ... and the tree gets the file, ignored by git
    assert (repo / "stamped" / "_version.py").read_text() == "VERSION = 'built'\n"
    assert _git(repo, "status", "--porcelain") == ""
    show = (
        "import importlib.metadata as m, stamped; "
        "print(stamped.VERSION, m.version('stamped'), stamped.__file__)"
    )
    ran = await run_sandboxed(
        ["python", "-c", show],
        repo,
        ro_binds=mounted.binds,
        env_extra=mounted.env,
        ro_mounts=mounted.mounts,
    )
    assert ran.exit_code == 0, ran.output
    assert ran.output.split()[-3:] == ["built", "1.0", str(repo / "stamped" / "__init__.py")]
    # A file the repository tracks is never overwritten, and a link never followed.
    (repo / "stamped" / "_version.py").unlink()
    (repo / "stamped" / "_version.py").symlink_to(tmp_path / "elsewhere.py")
    assert place_generated(env, repo) == []
    assert not (tmp_path / "elsewhere.py").exists()


class _Guarded(SimpleHTTPRequestHandler):
    """A private index: every request needs the right Basic credentials."""

    expected = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != self.expected:
            self.send_error(401, "credentials needed")
            return
        super().do_GET()


async def test_a_tenants_private_index_is_reached_with_credentials_the_sandbox_never_sees(
    tmp_path: Path,
) -> None:
    from tests.support.registry import _index_pages, build_wheel

    password = "s3cr3t-" + os.urandom(6).hex()
    private_root = tmp_path / "private"
    (private_root / "built").mkdir(parents=True)
    _index_pages(private_root, [build_wheel(private_root / "built", "secretpkg", "1.0", "ours")])
    handler = type("Handler", (_Guarded,), {"expected": _basic("ci", password)})
    server = ThreadingHTTPServer(("127.0.0.2", 0), partial(handler, directory=str(private_root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    private_url = f"http://127.0.0.2:{server.server_address[1]}/simple"
    indexes = tmp_path / "indexes.toml"
    indexes.write_text(
        f'[tenants.acme]\nurl = "{private_url}"\nusername = "ci"\npassword = "{password}"\n'
    )
    wt = tmp_path / "wt"
    wt.mkdir()
    (wt / "requirements.txt").write_text(f"--extra-index-url {private_url}/\nsecretpkg==1.0\n")
    try:
        with package_index(tmp_path / "index", "tinypkg", "1.0", "x") as index:
            config = PrepareConfig(
                envs_dir=tmp_path / "envs",
                index_url=index,
                allowlist=("localhost",),  # not the private host: the forwarder reaches it
                private_index=load_private(indexes, "acme"),
            )
            decl = read_declared(wt, config.private_url)
            env, built, result = await prepare(config, "acme", wt, decl)
            # another tenant (no private index) may not name it
            with pytest.raises(PrepareError, match="--extra-index-url is refused"):
                read_declared(wt, None)
    finally:
        server.shutdown()
        server.server_close()
    assert built and result is not None and result.exit_code == 0, result
    assert password not in result.output and _basic("ci", password) not in result.output
    mounted = mounts_for(env, wt)
    ran = await run_sandboxed(
        ["python", "-c", "import os, secretpkg; print(secretpkg.VALUE); print(dict(os.environ))"],
        wt,
        ro_binds=mounted.binds,
        env_extra=mounted.env,
        ro_mounts=mounted.mounts,
    )
    assert ran.exit_code == 0 and ran.output.splitlines()[0] == "ours", ran.output
    assert password not in ran.output
    assert not any(password in p.read_text(errors="replace") for p in _files(env))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
