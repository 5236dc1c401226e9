"""Lint of one edited Python file: ruff's error-class rules (``F``: undefined names, unused or
shadowed imports...; ``E9``: syntax and I/O errors), run on the text, not the worktree. ruff
never executes the code it reads; ``--isolated`` keeps a repository's configuration (which an
untrusted repository writes) out of it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

RULES = "F,E9"
TIMEOUT_S = 10.0
_FINDING = re.compile(r"^.+?:(\d+):(\d+): ([A-Z]+\d+) (.*)$")


def _ruff() -> Path | None:
    path = Path(sys.prefix) / "bin" / "ruff"
    return path if path.exists() else None


def findings(path: str, text: str) -> list[tuple[int, str, str]]:
    """(line, rule, message) of each finding in ``text`` as the file ``path``."""
    ruff = _ruff()
    if ruff is None or not path.endswith((".py", ".pyi")):
        return []
    argv = [str(ruff), "check", "--isolated", "--no-cache", "--select", RULES]
    argv += ["--output-format", "concise", "--stdin-filename", path, "-"]
    try:
        res = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return []
    out = []
    for line in res.stdout.splitlines():
        m = _FINDING.match(line)
        if m:
            out.append((int(m.group(1)), m.group(3), m.group(4)))
    return out


def introduced(path: str, before: str, after: str) -> list[str]:
    """The findings ``after`` has that ``before`` had not (compared by rule and message)."""
    old = Counter((rule, msg) for _, rule, msg in findings(path, before))
    new: list[str] = []
    for line, rule, msg in findings(path, after):
        if old[(rule, msg)] > 0:
            old[(rule, msg)] -= 1
            continue
        new.append(f"line {line}: {rule} {msg}")
    return new
