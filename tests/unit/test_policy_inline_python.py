"""Inline Python the guard lets run at once, and what it holds for a person (pure)."""

from __future__ import annotations

import pytest

from shared.policy.inline_python import assess


@pytest.mark.parametrize(
    "code",
    [
        "import calc; print(calc.add(2, 3))",
        "from acme.number import ordinal\nfor n in (1, 2, 13):\n    print(ordinal(n))",
        "import json; print(json.load(open('fixtures/data.json')))",
        "print(open('README.md', 'rb').read()[:100])",
        "import acme; print(acme.__version__, acme.__file__)",
        "x = [i * i for i in range(10)]; assert x[3] == 9, x",
    ],
)
def test_reproductions_run_at_once(code: str) -> None:
    assert assess(code) is None


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("import os; os.remove('x')", "imports os"),
        ("import subprocess as sp", "imports subprocess"),
        ("from shutil import rmtree", "imports from shutil"),
        ("from . import secrets", "imports from ."),
        ("__import__('os')", "calls __import__()"),
        ("__import__('os').system('id')", "uses .system"),
        ("eval('1 + 1')", "calls eval()"),
        ("getattr(print, '__self__')", "calls getattr()"),
        ("open('x.txt', 'w').write('1')", "opens 'x.txt' for writing"),
        ("open('x.txt', mode=m)", "for writing"),
        ("open('/etc/passwd').read()", "not named literally beneath the worktree"),
        ("open('../other/repo.py').read()", "not named literally beneath the worktree"),
        ("open(name).read()", "not named literally"),
        ("import pathlib", "imports pathlib"),
        ("obj.write_text('x')", "uses .write_text"),
        ("().__class__.__base__.__subclasses__()", "reaches for __"),
        ("print(__builtins__)", "names __builtins__"),
        ("def f(:", "does not parse"),
        ("x = 1\n" * 2000, "longer than"),
    ],
)
def test_the_rest_is_held_with_the_reason(code: str, why: str) -> None:
    reason = assess(code)
    assert reason is not None and why in reason, reason
