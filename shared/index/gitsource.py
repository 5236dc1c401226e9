"""Reading a repository at one commit from git's object store (never the working tree), and
what changed between two commits."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shared.workspace import SAFE, GitError


@dataclass(frozen=True)
class Blob:
    path: str
    sha: str
    size: int


def _env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LANG": "C.UTF-8",
    }


def _git(
    repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None
) -> bytes:
    res = subprocess.run(
        ["git", *SAFE, "-C", str(repo), *args],
        input=data,
        capture_output=True,
        env={**_env(), **(env or {})},
        timeout=600,
    )
    if res.returncode != 0:
        err = (res.stderr or res.stdout).decode(errors="replace").strip()[-400:]
        raise GitError(f"git {' '.join(args[:2])}: {err}")
    return res.stdout


def resolve(repo: Path, ref: str) -> str:
    """The commit a ref (branch, tag, sha, ``HEAD``) names."""
    return (
        _git(repo, "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
        .decode()
        .strip()
    )


def has_commit(repo: Path, sha: str) -> bool:
    try:
        resolve(repo, sha)
    except GitError:
        return False
    return True


def files(repo: Path, commit: str) -> dict[str, Blob]:
    """Every regular file of a commit (symlinks and submodules are not content)."""
    out = _git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
    blobs: dict[str, Blob] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha, size = meta.split()
        if kind != b"blob" or mode not in (b"100644", b"100755"):
            continue
        p = path.decode("utf-8", "surrogateescape")
        blobs[p] = Blob(p, sha.decode(), int(size))
    return blobs


def changed(repo: Path, old: str, new: str) -> tuple[set[str], set[str]]:
    """(paths added or modified, paths deleted) from ``old`` to ``new``."""
    out = _git(repo, "diff", "--name-status", "--no-renames", "-z", old, new)
    parts = [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]
    touched: set[str] = set()
    deleted: set[str] = set()
    for status, path in zip(parts[::2], parts[1::2], strict=True):
        (deleted if status.startswith("D") else touched).add(path)
    return touched, deleted


def read(repo: Path, shas: list[str], limit: int) -> dict[str, bytes]:
    """Contents of blobs by sha, each cut at ``limit`` bytes, in one ``cat-file`` process."""
    if not shas:
        return {}
    out = _git(repo, "cat-file", "--batch", data="\n".join(shas).encode() + b"\n")
    blobs: dict[str, bytes] = {}
    pos = 0
    for _ in shas:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        if len(header) < 3:  # "<sha> missing"
            pos = nl + 1
            continue
        size = int(header[2])
        blobs[header[0].decode()] = out[nl + 1 : nl + 1 + min(size, limit)]
        pos = nl + 1 + size + 1
    return blobs
