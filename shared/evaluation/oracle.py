"""The oracle: a test double of a model that plays a perfect crew on a task whose fix is known.

It measures the platform's own ceiling: every task it does not resolve is a platform failure.
Pure and stateless: each turn is decided from the task's gold patch and the conversation so far
(the chat messages and the tools the request offers), never from the worktree, the repository
or the task file. Its rules (each held by a test):

- the lead answers at once with a one-task plan naming the patch's files;
- the engineer changes files only through the engineers' tools, one call a turn: it looks at a
  file's size (``list_dir``) and views it (``read_file``) before editing it, and the old text of
  every edit is taken from what a tool showed it, never from anywhere else;
- it uses the narrowest edit tool offered; today that is the whole-file ``write_file``, so it
  writes a file whole only from text it saw whole, and only when the turn fits ``max_tokens``;
- it adds the tests the fix came with (the task's ``test_patch``), as a careful engineer adds
  regression tests and as QA's diff-coverage gate asks: files the gold patch does not touch,
  after the fix. This cannot make a task pass: the judge puts every file ``test_patch`` touches
  back to ``base_commit`` before applying it (as SWE-bench's harness does). It never sees
  ``FAIL_TO_PASS`` or ``PASS_TO_PASS`` (``OracleTask`` has no such fields), and never runs a
  shell command.

Where it cannot go on, it says so in its final answer as ``[oracle: <class>] <why>``, the class
being one of ``CLASSES``; the evaluation report reads those lines.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from shared.evaluation import patches
from shared.models import tokens

CLASSES = ("environment", "tool limits", "output limits", "QA", "publishing", "judging")
NOTE_PREFIX = "[oracle: "
# What a tool call adds to a turn beside its arguments (name, ids, JSON framing): an allowance.
CALL_OVERHEAD_TOKENS = 16


@dataclass(frozen=True)
class OracleTask:
    """What the oracle knows of a task: its ticket, its gold patch and the tests that came with
    it; not which tests must pass."""

    instance_id: str
    title: str
    body: str
    patch: str
    test_patch: str = ""

    def changes(self) -> list[patches.FileChange]:
        """The fix, then the test files it does not already touch."""
        fix = patches.parse(self.patch)
        touched = {c.path for c in fix}
        return fix + [c for c in patches.parse(self.test_patch) if c.path not in touched]


@dataclass
class _Call:
    name: str
    args: dict[str, Any]
    output: str | None = None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def unfence(content: str) -> str:
    """The content of a tool result inside the platform's untrusted-content fence, as is."""
    lines = content.split("\n")
    if len(lines) >= 2 and lines[0].startswith("<<<UNTRUSTED ") and lines[-1].startswith("<<<END "):
        body = lines[1:-1]
        if ' flags="' in lines[0] and body and body[0].startswith("[guard note:"):
            body = body[1:]
        return "\n".join(body)
    return content


def history(messages: list[dict[str, Any]]) -> list[_Call]:
    """The tool calls of the conversation, in order, each with the output it got back."""
    calls: list[_Call] = []
    by_id: dict[str, _Call] = {}
    for m in messages:
        if m.get("role") == "assistant":
            for tc in m.get("tool_calls") or []:
                fn = tc.get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    args = {}
                call = _Call(str(fn.get("name")), args if isinstance(args, dict) else {})
                calls.append(call)
                by_id[str(tc.get("id"))] = call
        elif m.get("role") == "tool":
            answered = by_id.get(str(m.get("tool_call_id")))
            if answered is not None:
                answered.output = unfence(_text(m.get("content")))
    return calls


def _call_message(turn: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_oracle_{turn}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)},
            }
        ],
    }


def turn_tokens(message: dict[str, Any]) -> int:
    """The estimated output tokens of an assistant message the oracle produces."""
    total = tokens.count(_text(message.get("content")))
    for tc in message.get("tool_calls") or []:
        fn = tc["function"]
        total += tokens.count(fn["name"]) + tokens.count(fn["arguments"]) + CALL_OVERHEAD_TOKENS
    return total


def lead_plan(task: OracleTask) -> dict[str, Any]:
    files = list(dict.fromkeys(c.path for c in task.changes()))
    return {
        "summary": f"Apply the fix the ticket asks for in {', '.join(files) or 'the code'}.",
        "tasks": [
            {
                "id": "t1",
                "kind": "backend",
                "title": f"Fix: {task.title}"[:200],
                "description": "Make the change the ticket describes.",
                "acceptance_criteria": ["the behaviour the ticket reports is fixed"],
                "files": files[:50],
            }
        ],
    }


_VIEW_LINE = re.compile(r"^ *(\d+)\t(.*)$")
_VIEW_TOTAL = re.compile(r"^\[lines \d+-\d+ of (\d+);", re.MULTILINE)


def _numbered(output: str) -> dict[int, str]:
    """``view_file``'s ``<number><TAB><text>`` lines as a mapping."""
    found: dict[int, str] = {}
    for line in output.split("\n"):
        m = _VIEW_LINE.match(line)
        if m:
            found[int(m.group(1))] = m.group(2)
    return found


def _sizes(output: str | None) -> dict[str, int]:
    """``list_dir``'s ``name<TAB>size`` lines as a mapping."""
    sizes: dict[str, int] = {}
    for line in (output or "").splitlines():
        name, _, size = line.partition("\t")
        if size.isdigit():
            sizes[name] = int(size)
    return sizes


class _Engineer:
    def __init__(
        self, task: OracleTask, messages: list[dict[str, Any]], offered: set[str], max_tokens: int
    ) -> None:
        self.calls = history(messages)
        self.offered = offered
        self.max_tokens = max_tokens
        self.turn = sum(1 for m in messages if m.get("role") == "assistant")
        self.notes: list[str] = []
        self.done: list[str] = []
        self.changes = task.changes()

    def _last(self, name: str, path: str) -> _Call | None:
        for call in reversed(self.calls):
            if call.name == name and call.args.get("path") == path:
                return call
        return None

    def _note(self, cls: str, text: str) -> None:
        self.notes.append(f"{NOTE_PREFIX}{cls}] {text}")

    def _call(self, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """The turn that calls ``name``, or None (with a note) when it cannot be made."""
        if name not in self.offered:
            self._note("tool limits", f"no {name} tool is offered for {args.get('path')}")
            return None
        message = _call_message(self.turn, name, args)
        need = turn_tokens(message)
        if need > self.max_tokens:
            self._note(
                "tool limits",
                f"{name} of {args.get('path')} takes about {need} output tokens "
                f"({tokens.TOKENIZER}), over the role's max_tokens {self.max_tokens}",
            )
            return None
        return message

    def _edit(self, change: patches.FileChange) -> dict[str, Any] | None:
        path = change.path
        view = self._last("read_file", path)
        if view is None:
            return self._call("read_file", {"path": path})
        seen = view.output or ""
        missing = seen.startswith("no such file or directory")
        if change.kind == "delete":
            if missing:
                self.done.append(f"deleted {path}")
                return None
            if self._last("delete_file", path) is not None:
                self.done.append(f"deleted {path}")
                return None
            return self._call("delete_file", {"path": path})
        if change.kind == "add":
            target = change.new_content
            if seen == target or self._wrote(path, view):
                self.done.append(f"created {path}")
                return None
            return self._call("write_file", {"path": path, "content": target})
        # modify: the file's size first, so a view that is not the whole file is noticed
        parent = posixpath.dirname(path) or "."
        listing = next(
            (
                c
                for c in reversed(self.calls)
                if c.name == "list_dir" and c.args.get("path") == parent
            ),
            None,
        )
        if listing is None and "list_dir" in self.offered:
            return self._call("list_dir", {"path": parent})
        if self._wrote(path, view):
            self.done.append(f"edited {path}")
            return None
        if missing:
            self._note("tool limits", f"{path}: the viewer says it does not exist: {seen[:200]}")
            return None
        if {"view_file", "str_replace"} <= self.offered:
            return self._edit_in_place(change)
        size = _sizes(listing.output if listing else None).get(posixpath.basename(path))
        shown = len(seen.encode("utf-8"))
        if size is not None and shown != size:
            self._note(
                "output limits",
                f"{path}: the viewer showed {shown} bytes of a {size}-byte file (cut or altered); "
                "an edit from that view would damage the file",
            )
            return None
        try:
            new = patches.apply(seen, change)
        except patches.PatchError as exc:
            if patches.is_applied(seen, change):
                self.done.append(f"{path} already has the change")
            else:
                self._note("output limits", f"the change does not fit the view: {exc}")
            return None
        if new == seen:
            self.done.append(f"{path} already has the change")
            return None
        return self._call("write_file", {"path": path, "content": new})

    def _edit_in_place(self, change: patches.FileChange) -> dict[str, Any] | None:
        """Hunk by hunk: view the lines (a window), copy the old text from the view, replace it.
        A hunk is done when a replacement carrying it succeeded, or the view shows it already
        in place (a fix round)."""
        path, delta = change.path, 0
        for number, h in enumerate(change.hunks, 1):
            start = h.old_start + delta
            end = start + len(h.old) - 1
            reach = start + max(len(h.old), len(h.new)) - 1  # the view must show either text
            if self._replaced(path, h):
                delta += len(h.new) - len(h.old)
                continue
            if not h.old:  # text into an empty file
                return self._call("insert_lines", {"path": path, "line": 0, "text": "".join(h.new)})
            refusals = self._ambiguous(path, h)
            pad = 3 * refusals
            lo, hi = max(1, start - pad), end + pad
            shown = self._viewed(path, lo, max(hi, reach))
            if shown is None:
                return self._call(
                    "view_file",
                    {"path": path, "start_line": max(1, lo - 2), "end_line": max(hi, reach) + 2},
                )
            want = [ln.rstrip("\n") for ln in h.old]
            got = [shown.get(n) for n in range(start, end + 1)]
            if got != want:
                now = [shown.get(n) for n in range(start, start + len(h.new))]
                if now == [ln.rstrip("\n") for ln in h.new]:
                    self.done.append(f"{path} hunk {number} already in place")
                    delta += len(h.new) - len(h.old)
                    continue
                self._note(
                    "output limits",
                    f"{path}: the view of lines {start}-{end} is not "
                    f"the text hunk {number} changes",
                )
                return None
            before = [shown[n] for n in range(lo, start) if n in shown]
            after = [shown[n] for n in range(end + 1, hi + 1) if n in shown]
            # the old text as the view shows it (checked above to be the hunk's old lines)
            ending = "\n" if after or h.old[-1].endswith("\n") else ""
            old_text = "\n".join([*before, *want, *after]) + ending
            new_text = "".join(line + "\n" for line in before) + "".join(h.new)
            new_text += "".join(line + "\n" for line in after)
            return self._call(
                "str_replace", {"path": path, "old_text": old_text, "new_text": new_text}
            )
        self.done.append(f"edited {path}")
        return None

    def _replaced(self, path: str, h: patches.Hunk) -> bool:
        old, new = "".join(h.old), "".join(h.new)
        return any(
            c.name == "str_replace"
            and c.args.get("path") == path
            and old in str(c.args.get("old_text"))
            and new in str(c.args.get("new_text"))
            and "edited " in (c.output or "")
            for c in self.calls
        )

    def _ambiguous(self, path: str, h: patches.Hunk) -> int:
        old = "".join(h.old)
        return sum(
            1
            for c in self.calls
            if c.name == "str_replace"
            and c.args.get("path") == path
            and old in str(c.args.get("old_text"))
            and "matches" in (c.output or "")
        )

    def _viewed(self, path: str, lo: int, hi: int) -> dict[int, str] | None:
        """The lines of the latest view of ``path`` that shows every line ``lo``..``hi`` (or
        every line from ``lo`` to the file's end, when ``hi`` is past it)."""
        for c in reversed(self.calls):
            if c.name != "view_file" or c.args.get("path") != path:
                continue
            lines = _numbered(c.output or "")
            if not lines or lo not in lines:
                continue
            m = _VIEW_TOTAL.search(c.output or "")
            last = int(m.group(1)) if m else max(lines)  # no note: the whole file was shown
            if all(n in lines for n in range(lo, min(hi, last) + 1)):
                return lines
        return None

    def _wrote(self, path: str, view: _Call) -> bool:
        """Whether a write of ``path`` after ``view`` succeeded (or failed: then noted, done)."""
        after = self.calls[self.calls.index(view) + 1 :]
        writes = [c for c in after if c.name == "write_file" and c.args.get("path") == path]
        if not writes:
            return False
        out = writes[-1].output or ""
        if not out.startswith("wrote "):
            self._note("tool limits", f"write_file {path} failed: {out[:300]}")
        return True

    def next_message(self) -> dict[str, Any]:
        for change in self.changes:
            message = self._edit(change)
            if message is not None:
                return message
        summary = "; ".join(self.done) or "no change was needed"
        return {"role": "assistant", "content": "\n".join([f"Done: {summary}.", *self.notes])}


def next_message(
    task: OracleTask,
    agent_key: str,
    messages: list[dict[str, Any]],
    offered_tools: list[str],
    max_tokens: int,
) -> dict[str, Any]:
    """The oracle's answer to one chat completions request of agent run ``agent_key``."""
    if agent_key.startswith("lead"):
        return {"role": "assistant", "content": json.dumps(lead_plan(task))}
    return _Engineer(task, messages, set(offered_tools), max_tokens).next_message()


def notes_in(text: str) -> list[tuple[str, str]]:
    """(class, why) of every oracle note in an agent's final answer."""
    out = []
    for line in text.splitlines():
        if line.startswith(NOTE_PREFIX) and "] " in line:
            cls, _, why = line[len(NOTE_PREFIX) :].partition("] ")
            out.append((cls, why))
    return out
