# ruff: noqa: F811 (pytest fixtures imported from test_mcp_servers)
"""The engineers' editor over the MCP protocol (real server, signed decisions, real files):
numbered views with windows, exact-match replacement refused with the candidates' lines, insert,
undo, and an edit that breaks Python's syntax refused with the file left as it was."""

from __future__ import annotations

from pathlib import Path

from mcp import Client
from shared.executor import GuardedServer
from tests.integration.test_mcp_servers import (  # noqa: F401 (fixtures)
    Decide,
    call,
    decide,
    executor,
    fs,
    job,
    sandbox,
    signer,
    worktree,
)
from tests.support.mcp_servers import text

BIG = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(1000))  # ~40,000 chars


async def _run(client: Client, decide: Decide, tool: str, **args: object) -> tuple[bool, str]:
    result = await call(client, tool, dict(args), decide(tool, dict(args)))
    return not result.is_error, text(result)


async def test_views_are_numbered_and_windowed(
    fs: GuardedServer, decide: Decide, worktree: Path
) -> None:
    (worktree / "big.py").write_text(BIG)
    async with Client(fs) as client:
        ok, whole = await _run(client, decide, "view_file", path="calc.py")
        ok2, first = await _run(client, decide, "view_file", path="big.py")
        ok3, window = await _run(
            client, decide, "view_file", path="big.py", start_line=3001, end_line=3004
        )
        ok4, tree = await _run(client, decide, "view_file", path=".")
    assert ok and ok2 and ok3 and ok4
    assert whole == "     1\tdef add(a: int, b: int) -> int:\n     2\t    return a + b"
    assert first.startswith("     1\tdef f0(x):") and "[lines 1-200 of 4000;" in first
    assert window.splitlines()[:4] == [
        "  3001\tdef f750(x):",
        "  3002\t    return x + 750",
        "  3003\t",
        "  3004\t",
    ]
    assert "calc.py" in tree and "tests/" in tree and "  test_calc.py" in tree


async def test_replace_needs_exactly_one_match_and_changes_only_its_lines(
    fs: GuardedServer, decide: Decide, worktree: Path
) -> None:
    (worktree / "big.py").write_text(BIG)
    async with Client(fs) as client:
        ok0, none = await _run(
            client, decide, "str_replace", path="big.py", old_text="return y", new_text="z"
        )
        ok1, many = await _run(
            client, decide, "str_replace", path="big.py", old_text="    return x + 5", new_text="z"
        )
        ok2, done = await _run(
            client,
            decide,
            "str_replace",
            path="big.py",
            old_text="def f500(x):\n    return x + 500\n",
            new_text="def f500(x):\n    return x - 500\n",
        )
    assert not ok0 and "was not found" in none
    assert not ok1 and "matches 111 times" in many and "lines 22, " in many
    assert ok2 and "  2002\t    return x - 500" in done
    after = (worktree / "big.py").read_text()
    changed = [
        i
        for i, (a, b) in enumerate(zip(BIG.splitlines(), after.splitlines(), strict=True))
        if a != b
    ]
    assert changed == [2001] and len(after) == len(BIG)  # one line, in the middle of 40,000


async def test_insert_and_undo(fs: GuardedServer, decide: Decide, worktree: Path) -> None:
    original = (worktree / "calc.py").read_text()
    async with Client(fs) as client:
        ok1, shown = await _run(
            client, decide, "insert_lines", path="calc.py", line=2, text="\n\nMAX = 10"
        )
        inserted = (worktree / "calc.py").read_text()
        ok2, _ = await _run(client, decide, "undo_edit", path="calc.py")
        ok3, nothing = await _run(client, decide, "undo_edit", path="calc.py")
    assert ok1 and "     5\tMAX = 10" in shown
    assert inserted == original + "\n\nMAX = 10\n"
    assert ok2 and (worktree / "calc.py").read_text() == original
    assert not ok3 and "no edit of calc.py to undo" in nothing


async def test_an_edit_that_breaks_the_syntax_is_refused_and_the_file_kept(
    fs: GuardedServer, decide: Decide, worktree: Path
) -> None:
    original = (worktree / "calc.py").read_text()
    async with Client(fs) as client:
        ok, said = await _run(
            client, decide, "str_replace", path="calc.py", old_text="a + b", new_text="a +"
        )
    assert not ok and "syntax error (line 2:" in said and "the file is unchanged" in said
    assert (worktree / "calc.py").read_text() == original


async def test_an_old_text_carrying_a_redaction_marker_is_refused(
    fs: GuardedServer, decide: Decide, worktree: Path
) -> None:
    async with Client(fs) as client:
        ok, said = await _run(
            client,
            decide,
            "str_replace",
            path="calc.py",
            old_text="KEY = '[REDACTED:aws_access_key]'",
            new_text="KEY = ''",
        )
    assert not ok and "redaction marker" in said


async def test_tests_run_by_id_or_keyword_and_nothing_reads_as_an_option(
    sandbox: GuardedServer, decide: Decide, worktree: Path
) -> None:
    (worktree / "tests" / "test_more.py").write_text("def test_broken():\n    assert False\n")
    async with Client(sandbox) as client:
        ok1, one = await _run(client, decide, "run_tests", tests=["tests/test_calc.py::test_add"])
        ok2, by_k = await _run(client, decide, "run_tests", keyword="broken")
        ok3, every = await _run(client, decide, "run_tests")
        ok4, refused = await _run(client, decide, "run_tests", tests=["--co"])
    assert ok1 and "[exit code 0" in one and "1 passed" in one
    assert ok2 and "[exit code 1" in by_k and "1 failed, 1 deselected" in by_k
    assert ok3 and "1 failed, 1 passed" in every
    assert not ok4 and "none starting with '-'" in refused


async def test_an_edit_answers_with_the_lint_findings_it_brought_in(
    fs: GuardedServer, decide: Decide, worktree: Path
) -> None:
    async with Client(fs) as client:
        ok, said = await _run(
            client, decide, "str_replace", path="calc.py", old_text="a + b", new_text="a + c"
        )
    assert ok and "edited calc.py" in said
    assert "line 2: F821 Undefined name `c`" in said
    assert (worktree / "calc.py").read_text().endswith("return a + c\n")


async def test_a_javascript_edit_that_does_not_parse_is_refused(
    fs: GuardedServer, decide: Decide, worktree: Path
) -> None:
    (worktree / "app.js").write_text("export function add(a, b) {\n  return a + b;\n}\n")
    async with Client(fs) as client:
        bad, said = await _run(
            client, decide, "str_replace", path="app.js", old_text="a + b;\n}", new_text="a + b;\n"
        )
        good, _ = await _run(
            client, decide, "str_replace", path="app.js", old_text="a + b", new_text="b + a"
        )
    assert not bad and "syntax error (line 2: missing }" in said
    assert good and "return b + a;" in (worktree / "app.js").read_text()


async def test_several_edits_apply_together_or_not_at_all(
    fs: GuardedServer, decide: Decide, worktree: Path
) -> None:
    """Two hunks that only parse together (a function renamed at its definition and its use)
    go in as one change, checked as one; a bad edit among good ones changes nothing."""
    source = "def add(a: int, b: int) -> int:\n    return a + b\n\n\nTOTAL = add(1, 2)\n"
    (worktree / "calc.py").write_text(source)
    rename = [
        {
            "old_text": "def add(a: int, b: int) -> int:",
            "new_text": "def plus(a: int, b: int) -> int:",
        },
        {"old_text": "TOTAL = add(1, 2)", "new_text": "TOTAL = plus(1, 2)"},
    ]
    async with Client(fs) as client:
        bad_ok, bad = await _run(
            client,
            decide,
            "apply_edits",
            path="calc.py",
            edits=[rename[0], {"old_text": "nowhere", "new_text": "x"}],
        )
        unchanged = (worktree / "calc.py").read_text()
        broken_ok, broken = await _run(
            client,
            decide,
            "apply_edits",
            path="calc.py",
            edits=[rename[0], {"old_text": "return a + b", "new_text": "return (a +"}],
        )
        overlap_ok, overlap = await _run(
            client,
            decide,
            "apply_edits",
            path="calc.py",
            edits=[
                {"old_text": "a + b\n\n", "new_text": "x"},
                {"old_text": "\n\nTOTAL", "new_text": "y"},
            ],
        )
        ok, done = await _run(client, decide, "apply_edits", path="calc.py", edits=rename)
        undo_ok, _ = await _run(client, decide, "undo_edit", path="calc.py")
    assert not bad_ok and "edit 2: old_text was not found" in bad and unchanged == source
    assert not broken_ok and "syntax error" in broken
    assert not overlap_ok and "overlap" in overlap
    assert ok and "lines around the changes:" in done
    assert "     1\tdef plus(a: int, b: int) -> int:" in done and "TOTAL = plus(1, 2)" in done
    assert undo_ok and (worktree / "calc.py").read_text() == source
