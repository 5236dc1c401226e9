"""Filesystem scope for agent tool calls.

``assess_path`` is a pure string check (absolute paths outside the worktree, ``..`` escapes,
``~``/``$VAR`` forms, ``.git`` internals, CI configuration, credential files).
``check_symlink_escape`` resolves an existing path inside a worktree and denies symlinks that
lead outside it. ``open_beneath`` is what the tool servers should use to actually open a file:
openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) resolves the path in the kernel relative to the
worktree, so a symlink swapped in between check and use cannot escape (no realpath-then-open
race). Rule ids: ``path.<what>``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import posixpath
import stat
from pathlib import Path

from shared.policy._patterns import CI_CONFIG, CREDENTIAL_PATH
from shared.policy.verdict import Verdict, allow, combine, deny, needs_approval

__all__ = ["PathEscape", "assess_path", "check_symlink_escape", "open_beneath"]

SYS_OPENAT2 = 437  # same number on x86_64 and aarch64 (and the generic syscall table)
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_BENEATH = 0x08
_GIT_META_FILES = frozenset({".gitmodules", ".gitattributes"})


class PathEscape(PermissionError):
    """The path would resolve outside the worktree (``..``, absolute path or symlink)."""


def _relative(path: str, worktree: Path | None) -> tuple[str | None, Verdict | None]:
    """Normalise to a worktree-relative POSIX path, or return the verdict that stops it."""
    if not path or any(ord(c) < 32 for c in path):
        return None, deny("path.invalid", f"empty path or control characters in {path!r}")
    p = path.replace("\\", "/")
    if p.startswith(("~", "$")) or "${" in p or "$(" in p:
        return None, deny("path.outside_worktree", f"{path!r} refers to home or a variable")
    if p.startswith("/"):
        if worktree is None:
            return None, deny("path.absolute", f"absolute path {path!r} without a worktree")
        root = posixpath.normpath(str(worktree))
        norm = posixpath.normpath(p)
        if norm != root and not norm.startswith(root.rstrip("/") + "/"):
            return None, deny("path.outside_worktree", f"{path!r} is outside the worktree")
        p = norm[len(root) :].lstrip("/") or "."
    rel = posixpath.normpath(p)
    if rel == ".." or rel.startswith("../"):
        return None, deny("path.escape", f"{path!r} escapes the worktree with '..'")
    return rel, None


def assess_path(path: str, worktree: Path | None, *, write: bool) -> Verdict:
    """Judge a path an agent wants to read (``write=False``) or create/modify/delete."""
    rel, stop = _relative(path, worktree)
    if stop is not None or rel is None:
        return stop or deny("path.invalid", "invalid path")
    parts = [part.lower() for part in rel.split("/")]
    verdicts: list[Verdict] = []
    if ".git" in parts:
        inside = parts[parts.index(".git") + 1 :]
        if inside[:1] == ["hooks"]:
            verdicts.append(deny("path.git_hooks", f"{path!r} is inside .git/hooks"))
        elif write:
            verdicts.append(deny("path.git_internals", f"writes git internals {path!r}"))
    if CREDENTIAL_PATH.search(rel) and not write:
        verdicts.append(deny("path.credential", f"{path!r} is a credential file"))
    if write and CI_CONFIG.match(rel):
        verdicts.append(needs_approval("path.ci_config", f"changes CI configuration {path!r}"))
    if write and parts[-1] in _GIT_META_FILES:
        verdicts.append(needs_approval("path.git_config_file", f"changes git metadata {path!r}"))
    if write and rel == ".":
        verdicts.append(deny("path.invalid", "the worktree root itself is not a file"))
    return combine(*verdicts) if verdicts else allow()


def check_symlink_escape(worktree: Path, rel: str) -> Verdict:
    """Deny when ``rel`` (resolved through any symlinks, existing or not) leaves the worktree."""
    root = os.path.realpath(worktree)
    target = os.path.realpath(os.path.join(root, rel))
    if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
        return allow()
    return deny("path.symlink_escape", f"{rel!r} resolves outside the worktree (symlink)")


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def _libc() -> ctypes.CDLL:
    lib = ctypes.CDLL(None, use_errno=True)
    lib.syscall.restype = ctypes.c_long
    return lib


def _openat2(dirfd: int, rel: str, flags: int, mode: int) -> int:
    create = flags & (os.O_CREAT | getattr(os, "O_TMPFILE", 0))
    how = _OpenHow(
        flags | os.O_CLOEXEC, mode if create else 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
    )
    fd = _libc().syscall(
        ctypes.c_long(SYS_OPENAT2),
        ctypes.c_int(dirfd),
        ctypes.c_char_p(os.fsencode(rel)),
        ctypes.byref(how),
        ctypes.c_size_t(ctypes.sizeof(how)),
    )
    if fd >= 0:
        return int(fd)
    err = ctypes.get_errno()
    raise OSError(err, os.strerror(err), rel)


def _walk_nofollow(dirfd: int, rel: str, flags: int, mode: int) -> int:
    """Fallback without openat2: walk component by component refusing '..' and any symlink."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if rel.startswith("/") or ".." in parts or not parts:
        raise OSError(errno.EXDEV, "path escapes the worktree", rel)
    fd = os.dup(dirfd)
    try:
        for comp in parts[:-1]:
            st = os.stat(comp, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise OSError(errno.ELOOP, "symlink in path", rel)
            nfd = os.open(
                comp, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd
            )
            os.close(fd)
            fd = nfd
        return os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=fd)
    finally:
        os.close(fd)


def open_beneath(worktree: Path, rel: str, flags: int, mode: int = 0o644) -> int:
    """Open ``rel`` inside ``worktree`` and return a file descriptor (caller closes it).

    Raises ``PathEscape`` when the kernel reports the path would leave the worktree (EXDEV) or
    crosses a magic link / symlink loop (ELOOP); other errors propagate as ``OSError``.
    """
    dirfd = os.open(worktree, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            return _openat2(dirfd, rel, flags, mode)
        except OSError as exc:
            if exc.errno not in (errno.ENOSYS, errno.EPERM):
                raise
            return _walk_nofollow(dirfd, rel, flags, mode)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.ELOOP):
            raise PathEscape(exc.errno, f"{rel!r} escapes the worktree {str(worktree)!r}") from exc
        raise
    finally:
        os.close(dirfd)
