"""The oracle's rules, each held here: it plays the crew on a simulated workbench (the
engineers' tool names, outputs fenced and cut the way the platform does) and must get the gold
patch in only through those tools."""

from __future__ import annotations

import dataclasses
import json
import posixpath
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared import editing
from shared.crew.prompts import ticket_text
from shared.crew.steps import OUTPUT_LIMIT
from shared.evaluation import oracle, patches
from shared.evaluation.book import OracleBook, OracleEntry, Registration
from shared.models import tokens
from shared.policy.injection import fence_untrusted
from tests.support.gitrepo import diff_of

TOOLS = ["read_file", "write_file", "list_dir", "delete_file", "search_files", "run_command"]
BIG = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(2000))  # ~60K chars


@dataclasses.dataclass
class Bench:
    """The engineers' file tools over a dict, outputs as the model gets them."""

    files: dict[str, str]
    view_limit: int = OUTPUT_LIMIT
    calls: list[tuple[str, dict[str, Any]]] = dataclasses.field(default_factory=list)
    outputs: list[str] = dataclasses.field(default_factory=list)

    def run(self, name: str, args: dict[str, Any]) -> str:
        self.calls.append((name, args))
        path = args.get("path", ".")
        if name == "read_file":
            out = self.files.get(path, f"no such file or directory: {path}")
        elif name == "list_dir":
            prefix = "" if path == "." else path + "/"
            out = "\n".join(
                f"{p[len(prefix) :]}\t{len(t.encode())}"
                for p, t in sorted(self.files.items())
                if p.startswith(prefix) and "/" not in p[len(prefix) :]
            )
        elif name == "write_file":
            self.files[path] = args["content"]
            out = f"wrote {len(args['content'].encode())} bytes to {path}"
        elif name == "view_file":
            out = editing.view(self.files[path], args.get("start_line"), args.get("end_line"))
        elif name == "str_replace":
            try:
                new, line = editing.replace(self.files[path], args["old_text"], args["new_text"])
            except editing.EditError as exc:
                out = f"refused: {exc}"
            else:
                self.files[path] = new
                out = f"edited {path}; lines around the change:\n{editing.excerpt(new, line, 3)}"
        elif name == "delete_file":
            out = f"deleted {path}" if self.files.pop(path, None) is not None else "no such file"
        else:
            out = "[exit code 0]"
        self.outputs.append(out[: self.view_limit])
        return fence_untrusted(self.outputs[-1], f"tool {name}")


def _play(
    task: oracle.OracleTask,
    bench: Bench,
    *,
    max_tokens: int = 8192,
    agent: str = "backend-t1-r1",
    hook: Callable[[], None] = lambda: None,
    tools: list[str] = TOOLS,
) -> str:
    """Run the engineer to its final answer; every produced turn checked against max_tokens."""
    ticket = {"title": task.title, "body": task.body}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a backend engineer."},
        {"role": "user", "content": ticket_text(ticket)},
    ]
    for _ in range(40):
        hook()
        msg = oracle.next_message(task, agent, messages, tools, max_tokens)
        assert oracle.turn_tokens(msg) <= max_tokens
        messages.append(msg)
        if not msg.get("tool_calls"):
            return str(msg["content"])
        (call,) = msg["tool_calls"]
        out = bench.run(call["function"]["name"], json.loads(call["function"]["arguments"]))
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": out})
    raise AssertionError("the oracle did not finish")


EDITOR = [*TOOLS, "view_file", "str_replace", "insert_lines", "undo_edit"]


def _task(diff: str) -> oracle.OracleTask:
    return oracle.OracleTask("acme__x-1", "f3 adds where it should subtract", "f3(1) is 4", diff)


def test_the_lead_plans_one_task_naming_the_patch_files(tmp_path: Path) -> None:
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": BIG.replace("x + 3\n", "x - 3\n")})
    msg = oracle.next_message(_task(diff), "lead-a1", [], TOOLS, 8192)
    plan = json.loads(msg["content"])
    assert [(t["kind"], t["files"]) for t in plan["tasks"]] == [("backend", ["a.py"])]


def test_changes_go_in_through_the_tools_each_file_viewed_before_its_edit(tmp_path: Path) -> None:
    before = {"a.py": "x = 1\ny = 2\n", "gone.py": "z = 3\n"}
    after = {"a.py": "x = 1\ny = 20\n", "new.py": "w = 4\n"}
    diff = diff_of(tmp_path, before, after)
    bench = Bench(dict(before))
    summary = _play(_task(diff), bench)
    assert bench.files == after
    assert oracle.notes_in(summary) == []
    names = [n for n, _ in bench.calls]
    assert "run_command" not in names  # never a shell to apply the patch
    for i, (name, args) in enumerate(bench.calls):
        if name in ("write_file", "delete_file") and args["path"] in before:
            assert ("read_file", {"path": args["path"]}) in bench.calls[:i]
            if name == "write_file":
                parent = posixpath.dirname(args["path"]) or "."
                assert ("list_dir", {"path": parent}) in bench.calls[:i]


def test_a_view_cut_short_is_noticed_and_the_file_is_left_alone(tmp_path: Path) -> None:
    after = BIG.replace("x + 1990\n", "x - 1990\n")  # far beyond the first 16,000 characters
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": after})
    bench = Bench({"a.py": BIG})
    summary = _play(_task(diff), bench)
    assert bench.files["a.py"] == BIG
    ((cls, why),) = oracle.notes_in(summary)
    assert cls == "output limits" and "a.py" in why


def test_no_turn_exceeds_max_tokens_a_write_too_big_is_not_made(tmp_path: Path) -> None:
    after = BIG.replace("x + 1990\n", "x - 1990\n")
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": after})
    bench = Bench({"a.py": BIG}, view_limit=10**9)  # a viewer that shows everything
    summary = _play(_task(diff), bench, max_tokens=8192)
    assert bench.files["a.py"] == BIG
    ((cls, why),) = oracle.notes_in(summary)
    assert cls == "tool limits" and "max_tokens 8192" in why
    assert tokens.count(after) > 8192
    # The same task with room for the write: done, and only through write_file.
    roomy = Bench({"a.py": BIG}, view_limit=10**9)
    _play(_task(diff), roomy, max_tokens=10**6)
    assert roomy.files["a.py"] == after


def test_a_fix_round_on_work_already_done_changes_nothing(tmp_path: Path) -> None:
    diff = diff_of(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    bench = Bench({"a.py": "x = 2\n"})
    summary = _play(_task(diff), bench, agent="backend-fix-2-r2")
    assert [n for n, _ in bench.calls if n == "write_file"] == []
    assert "already has the change" in summary


def test_it_reads_no_file_itself(tmp_path: Path) -> None:
    """Every turn is decided from the conversation: no file is opened while it decides."""
    diff = diff_of(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    tokens.count("warm up")  # the tokenizer's data is loaded once, before the watch starts
    watching = {"on": False}
    opened: list[str] = []

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if watching["on"] and event == "open":
            opened.append(str(args[0]))

    sys.addaudithook(audit)
    bench = Bench({"a.py": "x = 1\n"})

    def watch() -> None:
        watching["on"] = True

    try:
        _play(_task(diff), bench, hook=watch)
    finally:
        watching["on"] = False
    assert opened == []
    assert bench.files == {"a.py": "x = 2\n"}


def test_it_never_holds_which_tests_must_pass() -> None:
    assert {f.name for f in dataclasses.fields(oracle.OracleTask)} == {
        "instance_id",
        "title",
        "body",
        "patch",
        "test_patch",
    }
    entry = {"instance_id": "a", "title": "t", "body": "b", "patch": "", "test_patch": ""}
    Registration.model_validate({"tasks": [entry]})
    for hidden in ("FAIL_TO_PASS", "PASS_TO_PASS"):
        with pytest.raises(ValueError, match="Extra inputs"):
            OracleEntry.model_validate({**entry, hidden: "x"})


def test_the_book_finds_a_conversation_by_its_ticket(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    row = {
        "instance_id": "acme__x-1",
        "repo": "acme/x",
        "base_commit": "a" * 40,
        "problem_statement": "Heredocs break\n\nA line with <<< fails.",
        "patch": "",
        "test_patch": "diff --git a/t.py b/t.py\n",
        "FAIL_TO_PASS": '["t.py::test_a"]',
        "PASS_TO_PASS": "[]",
    }
    tasks.write_text(json.dumps(row) + "\n")
    book = OracleBook()
    assert book.load_file(tasks) == 1
    ticket = {"title": "Heredocs break", "body": "Heredocs break\n\nA line with <<< fails."}
    found = book.match([{"role": "user", "content": ticket_text(ticket)}])
    assert found is not None and found.instance_id == "acme__x-1"
    assert not hasattr(found, "FAIL_TO_PASS") and found.test_patch == row["test_patch"]
    assert (
        book.match([{"role": "user", "content": ticket_text({"title": "x", "body": "y"})}]) is None
    )
    assert patches.parse(found.patch) == []


def test_with_the_editor_it_edits_far_into_a_big_file_hunk_by_hunk(tmp_path: Path) -> None:
    after = (
        BIG.replace("x + 3\n", "x - 3\n")
        .replace("x + 1990\n", "x - 1990\n    # checked\n")
        .replace("def f1999(x):", "def f1999(x, y=0):")
    )
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": after})
    assert len(patches.parse(diff)[0].hunks) == 3
    bench = Bench({"a.py": BIG})
    summary = _play(_task(diff), bench, tools=EDITOR)
    assert bench.files["a.py"] == after, summary
    assert oracle.notes_in(summary) == []
    names = [n for n, _ in bench.calls]
    assert "write_file" not in names and names.count("str_replace") == 3
    for i, (name, args) in enumerate(bench.calls):  # each old text was shown by a view before
        if name == "str_replace":
            shown = "\n".join(
                out
                for (n, _), out in zip(bench.calls[:i], bench.outputs, strict=False)
                if n == "view_file"
            )
            for line in args["old_text"].splitlines():
                assert f"\t{line}" in shown


def test_with_the_editor_a_fix_round_finds_the_hunks_in_place(tmp_path: Path) -> None:
    after = BIG.replace("x + 3\n", "x - 3\n").replace("x + 1990\n", "x - 1990\n")
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": after})
    bench = Bench({"a.py": after})
    summary = _play(_task(diff), bench, tools=EDITOR, agent="backend-fix-2-r2")
    assert "str_replace" not in [n for n, _ in bench.calls]
    assert summary.count("already in place") == 2


def test_a_fix_round_finds_a_hunk_that_grew_the_file(tmp_path: Path) -> None:
    grown = BIG.replace("    return x + 7\n", "    if x < 0:\n        raise ValueError(x)\n" * 4)
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": grown})
    bench = Bench({"a.py": grown})
    summary = _play(_task(diff), bench, tools=EDITOR, agent="backend-fix-2-r2")
    assert oracle.notes_in(summary) == [] and "already in place" in summary


def test_it_adds_the_tests_the_fix_came_with_after_the_fix(tmp_path: Path) -> None:
    before = {"calc.py": "def sub(a, b):\n    return a + b\n", "test_calc.py": "import calc\n"}
    fixed = {**before, "calc.py": "def sub(a, b):\n    return a - b\n"}
    tested = {
        **fixed,
        "test_calc.py": "import calc\n\n\ndef test_sub():\n    assert calc.sub(3, 1) == 2\n",
    }
    task = dataclasses.replace(
        _task(diff_of(tmp_path / "fix", before, fixed)),
        test_patch=diff_of(tmp_path / "tests", fixed, tested),
    )
    plan = json.loads(oracle.next_message(task, "lead-a1", [], TOOLS, 8192)["content"])
    assert plan["tasks"][0]["files"] == ["calc.py", "test_calc.py"]
    bench = Bench(dict(before))
    assert oracle.notes_in(_play(task, bench, tools=EDITOR)) == []
    assert bench.files == tested
    edited = [a["path"] for n, a in bench.calls if n in ("str_replace", "write_file")]
    assert edited[0] == "calc.py" and edited[-1] == "test_calc.py"
