"""Path red-team cases for the worktree ``/work/wt`` (pure string checks) and, for symlink
and openat2 cases, a real temporary worktree built by the runner."""

from __future__ import annotations

WORKTREE = "/work/wt"

# (path, write, expected)
ASSESS: list[tuple[str, bool, str]] = [
    ("src/app.py", False, "allow"),
    ("src/app.py", True, "allow"),
    ("/work/wt/src/app.py", True, "allow"),
    ("../../etc/passwd", True, "deny"),
    ("../outside.txt", False, "deny"),
    ("src/../../x", True, "deny"),
    ("..\\..\\etc\\passwd", True, "deny"),
    ("/etc/passwd", False, "deny"),
    ("/work/wt/../secret", False, "deny"),
    ("/work/wt-other/file", False, "deny"),
    ("~/.ssh/id_rsa", False, "deny"),
    ("$HOME/.bashrc", True, "deny"),
    (".git/config", True, "deny"),
    (".git/hooks/pre-commit", True, "deny"),
    (".git/hooks/pre-commit", False, "deny"),
    (".git/HEAD", False, "allow"),
    ("vendor/lib/.git/config", True, "deny"),
    (".github/workflows/ci.yml", True, "needs_approval"),
    (".github/workflows/ci.yml", False, "allow"),
    (".gitlab-ci.yml", True, "needs_approval"),
    (".circleci/config.yml", True, "needs_approval"),
    ("Jenkinsfile", True, "needs_approval"),
    ("azure-pipelines.yml", True, "needs_approval"),
    (".gitmodules", True, "needs_approval"),
    (".env", False, "deny"),
    (".env.example", False, "allow"),
    ("", False, "deny"),
    ("src/\x00evil.py", True, "deny"),
]

# (relative path inside the temp worktree, expected) with links: link_out -> /etc, link_in -> src
SYMLINK: list[tuple[str, str]] = [
    ("link_out/passwd", "deny"),
    ("link_in/app.py", "allow"),
    ("src/app.py", "allow"),
    ("link_out", "deny"),
]

# (relative path, True when open_beneath must raise PathEscape)
OPEN: list[tuple[str, bool]] = [
    ("src/app.py", False),
    ("link_out/passwd", True),
    ("../etc/passwd", True),
    ("/etc/passwd", True),
    ("link_in/app.py", False),
]
