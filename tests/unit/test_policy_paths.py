from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from shared.policy.paths import (
    PathEscape,
    _walk_nofollow,
    assess_path,
    check_symlink_escape,
    open_beneath,
)

WT = Path("/srv/wt")


@pytest.mark.parametrize(
    ("path", "write", "verdict", "rule"),
    [
        ("src/a.py", True, "allow", None),
        ("./src/../src/a.py", True, "allow", None),
        ("/srv/wt/src/a.py", False, "allow", None),
        ("/srv/wt", False, "allow", None),
        ("../x", False, "deny", "path.escape"),
        ("a/../../x", True, "deny", "path.escape"),
        ("..\\x", True, "deny", "path.escape"),
        ("/etc/passwd", False, "deny", "path.outside_worktree"),
        ("/srv/wt2/a", False, "deny", "path.outside_worktree"),
        ("~/x", False, "deny", "path.outside_worktree"),
        ("${HOME}/x", False, "deny", "path.outside_worktree"),
        (".git/index", True, "deny", "path.git_internals"),
        (".git/objects/ab/cd", False, "allow", None),
        (".git/hooks/post-merge", False, "deny", "path.git_hooks"),
        (".GIT/config", True, "deny", "path.git_internals"),
        (".github/workflows/release.yml", True, "needs_approval", "path.ci_config"),
        (".github/actions/setup/action.yml", True, "needs_approval", "path.ci_config"),
        (".github/CODEOWNERS", True, "allow", None),
        ("ci/Jenkinsfile", True, "needs_approval", "path.ci_config"),
        (".gitattributes", True, "needs_approval", "path.git_config_file"),
        (".env.production", False, "deny", "path.credential"),
        (".env.production", True, "allow", None),
        ("deploy/id_rsa", False, "deny", "path.credential"),
        ("", True, "deny", "path.invalid"),
        ("a\nb", True, "deny", "path.invalid"),
        (".", True, "deny", "path.invalid"),
    ],
)
def test_assess_path(path: str, write: bool, verdict: str, rule: str | None) -> None:
    v = assess_path(path, WT, write=write)
    assert v.verdict == verdict, v
    if rule:
        assert rule in v.rule_ids
    else:
        assert v.rule_ids == []


def test_absolute_paths_without_worktree_are_denied() -> None:
    assert assess_path("/srv/wt/a.py", None, write=False).rule_ids == ["path.absolute"]
    assert assess_path("src/a.py", None, write=True).verdict == "allow"


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    wt = tmp_path / "wt"
    (wt / "src").mkdir(parents=True)
    (wt / "src" / "a.py").write_text("A = 1\n")
    (tmp_path / "outside.txt").write_text("secret\n")
    os.symlink(tmp_path / "outside.txt", wt / "out_link")
    os.symlink("src", wt / "in_link")
    os.symlink(tmp_path / "missing", wt / "dangling_out")
    os.symlink("/proc/self/root", wt / "magic")
    return wt


@pytest.mark.parametrize(
    ("rel", "verdict"),
    [
        ("src/a.py", "allow"),
        ("in_link/a.py", "allow"),
        ("new/file.txt", "allow"),
        ("out_link", "deny"),
        ("dangling_out", "deny"),
        ("in_link/../../outside.txt", "deny"),
        ("/etc/passwd", "deny"),
        ("magic/etc/passwd", "deny"),
    ],
)
def test_check_symlink_escape(worktree: Path, rel: str, verdict: str) -> None:
    v = check_symlink_escape(worktree, rel)
    assert v.verdict == verdict
    if verdict == "deny":
        assert v.rule_ids == ["path.symlink_escape"]


def test_open_beneath_reads_and_creates(worktree: Path) -> None:
    fd = open_beneath(worktree, "in_link/a.py", os.O_RDONLY)
    try:
        assert os.read(fd, 100) == b"A = 1\n"
    finally:
        os.close(fd)
    fd = open_beneath(worktree, "src/new.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"x")
    os.close(fd)
    assert (worktree / "src" / "new.txt").read_bytes() == b"x"
    assert (worktree / "src" / "new.txt").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "rel", ["out_link", "../outside.txt", "/etc/passwd", "in_link/../../outside.txt", "magic/etc"]
)
def test_open_beneath_refuses_escapes(worktree: Path, rel: str) -> None:
    with pytest.raises(PathEscape) as info:
        open_beneath(worktree, rel, os.O_RDONLY)
    assert isinstance(info.value, PermissionError)
    assert info.value.errno in (errno.EXDEV, errno.ELOOP)


def test_open_beneath_other_errors_propagate(worktree: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_beneath(worktree, "src/missing.py", os.O_RDONLY)


def test_fallback_walk_refuses_any_symlink_and_dotdot(worktree: Path) -> None:
    dirfd = os.open(worktree, os.O_PATH | os.O_DIRECTORY)
    try:
        fd = _walk_nofollow(dirfd, "src/a.py", os.O_RDONLY, 0)
        os.close(fd)
        for rel in ("in_link/a.py", "out_link", "../x", "/etc/passwd"):
            with pytest.raises(OSError) as info:
                _walk_nofollow(dirfd, rel, os.O_RDONLY, 0)
            assert info.value.errno in (errno.ELOOP, errno.EXDEV)
    finally:
        os.close(dirfd)
