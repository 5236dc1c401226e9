"""Unified diffs as the oracle and the judge use them: which files a patch touches and how, and
applying a file's hunks to a text the caller already has.

Pure. Applying is exact (no fuzz): a hunk's old lines must appear in the text, at the line its
header names or, failing that, at exactly one other place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["add", "delete", "modify"]
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """A patch that cannot be read, or a hunk whose old lines are not in the text."""


@dataclass(frozen=True)
class Hunk:
    old_start: int  # 1-based line of the old text where the hunk begins (0: empty file)
    old: tuple[str, ...]  # the hunk's old lines (context and removed), each with its newline
    new: tuple[str, ...]  # its new lines (context and added)


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: Kind
    hunks: tuple[Hunk, ...]

    @property
    def new_content(self) -> str:
        """The whole content of an added file."""
        return "".join(line for h in self.hunks for line in h.new)


def _strip(path: str) -> str:
    path = path.rstrip("\r\n").split("\t", 1)[0]
    if len(path) > 1 and path[0] == path[-1] == '"':
        path = path[1:-1]
    return path[2:] if path.startswith(("a/", "b/")) else path


def _sections(lines: list[str]) -> list[list[str]]:
    """The patch's lines, one list per file, each from its ``diff --git`` line (or, in a plain
    unified diff, its ``---`` line)."""
    sections: list[list[str]] = []
    in_hunk = 0  # lines still owed by the current hunk, old and new sides together
    for i, line in enumerate(lines):
        if in_hunk > 0:
            sections[-1].append(line)
            in_hunk -= 2 if line.startswith(" ") or line in ("\n", "\r\n") else 1
            if line.startswith("\\"):
                in_hunk += 1
            continue
        git_header = line.startswith("diff --git ")
        plain_header = (
            line.startswith("--- ")
            and i + 1 < len(lines)
            and lines[i + 1].startswith("+++ ")
            and not (sections and sections[-1][0].startswith("diff --git ") and _no_hunk(sections))
        )
        if git_header or plain_header:
            sections.append([line])
            continue
        if not sections:
            continue  # text before the first file (a commit message) is not the patch's
        sections[-1].append(line)
        if m := _HUNK.match(line):
            in_hunk = int(m.group(2) or "1") + int(m.group(4) or "1")
    return sections


def _no_hunk(sections: list[list[str]]) -> bool:
    return not any(_HUNK.match(ln) for ln in sections[-1])


def _hunk(header: re.Match[str], body: list[str]) -> Hunk:
    old: list[str] = []
    new: list[str] = []
    last: list[list[str]] = []
    for line in body:
        tag, value = line[:1], line[1:]
        if line in ("\n", "\r\n"):  # a blank context line whose space was lost in transit
            tag, value = " ", line
        if tag == "\\":  # "\ No newline at end of file": the line before it has none
            for side in last:
                side[-1] = side[-1].removesuffix("\n")
            continue
        sides = {" ": [old, new], "-": [old], "+": [new]}.get(tag)
        if sides is None:
            raise PatchError(f"malformed hunk line {line.rstrip()!r}")
        for side in sides:
            side.append(value)
        last = sides
    want_old, want_new = int(header.group(2) or "1"), int(header.group(4) or "1")
    if (len(old), len(new)) != (want_old, want_new):
        raise PatchError(f"a hunk's lines do not match its header {header.group(0)!r}")
    return Hunk(int(header.group(1)), tuple(old), tuple(new))


def _file(section: list[str]) -> FileChange:
    src = dst = None
    added = deleted = False
    hunks: list[Hunk] = []
    i = 0
    while i < len(section):
        line = section[i]
        if m := _HUNK.match(line):
            j = i + 1
            while j < len(section) and not _HUNK.match(section[j]):
                j += 1
            hunks.append(_hunk(m, section[i + 1 : j]))
            i = j
            continue
        if line.startswith("new file mode"):
            added = True
        elif line.startswith("deleted file mode"):
            deleted = True
        elif line.startswith(("rename from", "copy from")):
            raise PatchError(f"renames and copies are not supported ({line.strip()})")
        elif line.startswith(("Binary files", "GIT binary patch")):
            raise PatchError("binary patches are not supported")
        elif line.startswith("--- ") and src is None:
            src = line[4:]
        elif line.startswith("+++ ") and dst is None:
            dst = line[4:]
        i += 1
    if src is None or dst is None:
        raise PatchError(f"no ---/+++ lines for {section[0].strip()!r}")
    added = added or _strip(src) == "/dev/null"
    deleted = deleted or _strip(dst) == "/dev/null"
    kind: Kind = "add" if added else "delete" if deleted else "modify"
    path = _strip(src if kind == "delete" else dst)
    if kind == "modify" and _strip(src) != path:
        raise PatchError(f"renames are not supported ({_strip(src)} -> {path})")
    return FileChange(path, kind, tuple(hunks))


def parse(patch: str) -> list[FileChange]:
    """The files a patch changes, in its order."""
    sections = _sections(patch.splitlines(keepends=True))
    if not sections and patch.strip():
        raise PatchError("the patch has no file sections")
    return [_file(s) for s in sections]


def paths(patch: str) -> list[str]:
    return [c.path for c in parse(patch)]


def _find(lines: list[str], block: tuple[str, ...], hint: int, start: int) -> int:
    """Where ``block`` occurs in ``lines`` at or after ``start``: at ``hint`` if it is there,
    else its one occurrence; -1 when absent or ambiguous."""
    n = len(block)
    if n == 0:
        return max(hint, start)

    def at(i: int) -> bool:
        return tuple(lines[i : i + n]) == block

    if start <= hint <= len(lines) - n and at(hint):
        return hint
    found = [i for i in range(start, len(lines) - n + 1) if at(i)]
    return found[0] if len(found) == 1 else -1


def apply(text: str, change: FileChange) -> str:
    """``text`` with the change's hunks applied; ``PatchError`` names the hunk that does not fit."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    for number, h in enumerate(change.hunks, 1):
        i = _find(lines, h.old, max(h.old_start - 1, 0), pos)
        if i < 0:
            raise PatchError(
                f"{change.path}: hunk {number} (old line {h.old_start}) does not match the text"
            )
        out += lines[pos:i]
        out += h.new
        pos = i + len(h.old)
    out += lines[pos:]
    return "".join(out)


def is_applied(text: str, change: FileChange) -> bool:
    """Whether every hunk's new lines already stand in ``text``, in order."""
    lines = text.splitlines(keepends=True)
    pos = 0
    for h in change.hunks:
        i = _find(lines, h.new, max(h.old_start - 1, 0), pos)
        if i < 0:
            return False
        pos = i + len(h.new)
    return True


def changed_lines(patch: str) -> set[tuple[str, str, str]]:
    """(path, '+' or '-', line) for every added or removed line: what a diff changes."""
    out: set[tuple[str, str, str]] = set()
    for c in parse(patch):
        for h in c.hunks:
            old, new = set(h.old), set(h.new)
            out |= {(c.path, "-", ln.rstrip("\n")) for ln in h.old if ln not in new}
            out |= {(c.path, "+", ln.rstrip("\n")) for ln in h.new if ln not in old}
    return out


def without_hunk(patch: str, index: int) -> str:
    """The patch with its ``index``-th hunk (0-based, counted over all files) left out."""
    out: list[str] = []
    seen = 0
    for section in _sections(patch.splitlines(keepends=True)):
        skipping = False
        for line in section:
            if _HUNK.match(line):
                skipping = seen == index
                seen += 1
            if not skipping:
                out.append(line)
    if index >= seen:
        raise PatchError(f"the patch has {seen} hunk(s); no hunk {index}")
    return "".join(out)
