"""Shell text -> a small intermediate form the command rules can inspect (internal module).

Primary parser: bashlex (a port of bash's own grammar; it exposes substitutions as nodes). Its
word texts are not trusted for dequoting (it mangles mixed quotes and treats ``$'..'`` as a
parameter), so every word is dequoted again here from its source slice by ``dequote``, which
refuses (returns ``None``) on any expansion it cannot evaluate statically.

Fallback / second opinion: tree-sitter-bash, used when bashlex raises (``case``, ``[[ ]]``,
arithmetic, quoted here-doc delimiters, nested backticks ...) or when bashlex hides a
substitution inside ``${var:-$(cmd)}``. The caller never allows a fallback parse; the fallback
only exists so that what *can* be seen may still escalate to ``deny``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import bashlex

from shared.index.languages import parser

_BRACE_EXPANSION = re.compile(r"\{[^{}'\"\s]*(?:,|\.\.)[^{}'\"\s]*\}")
_NAME_START = re.compile(r"[A-Za-z_0-9{(@*#?$!\-]")
_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ANSI.update({"e": "\x1b", "E": "\x1b", "\\": "\\", "'": "'", '"': '"', "?": "?"})
_ANSI_NUM = re.compile(r"x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.")


@dataclass(slots=True)
class Word:
    text: str  # dequoted text (best effort when opaque)
    opaque: bool = False  # contains an expansion whose value is unknown statically
    glob: bool = False  # unquoted * ? [ present
    params: tuple[str, ...] = ()  # names of parameters referenced
    from_download: bool = False  # a substitution inside runs a downloader


@dataclass(slots=True)
class Redirect:
    op: str
    target: Word | None = None
    body: str | None = None  # here-doc / here-string text


@dataclass(slots=True)
class SimpleCommand:
    assigns: list[Word] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Pipeline:
    stages: list[list[SimpleCommand]]


@dataclass(slots=True)
class Parsed:
    units: list[Pipeline] = field(default_factory=list)
    issues: list[tuple[int, str, str]] = field(default_factory=list)  # (rank, rule, reason)
    nested: list[str] = field(default_factory=list)  # further script texts to analyse
    fallback: bool = False
    second_opinion: bool = False


def _ansi_c(raw: str, i: int) -> tuple[str, int] | None:
    """Decode $'...' starting at raw[i] == '$'. Returns (text, index after closing quote)."""
    out: list[str] = []
    j = i + 2
    while j < len(raw):
        c = raw[j]
        if c == "'":
            return "".join(out), j + 1
        if c == "\\" and j + 1 < len(raw):
            nxt = raw[j + 1]
            if nxt in _ANSI:
                out.append(_ANSI[nxt])
                j += 2
                continue
            m = _ANSI_NUM.match(raw, j + 1)
            if m:
                tok = m.group()
                if tok[0] == "c":
                    out.append(chr(ord(tok[1]) & 0x1F))
                elif tok[0] in "xuU":
                    out.append(chr(min(int(tok[1:], 16), 0x10FFFF)))
                else:
                    out.append(chr(int(tok, 8)))
                j += 1 + len(tok)
                continue
            out.append(c)
            j += 1
            continue
        out.append(c)
        j += 1
    return None


def dequote(raw: str) -> tuple[str, bool] | None:
    """Statically evaluate one shell word. Returns (text, has_unquoted_glob) or None if opaque."""
    out: list[str] = []
    glob = False
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            if i + 1 < n and raw[i + 1] != "\n":
                out.append(raw[i + 1])
            i += 2
        elif c == "'":
            j = raw.find("'", i + 1)
            if j < 0:
                return None
            out.append(raw[i + 1 : j])
            i = j + 1
        elif c == "$" and raw.startswith("$'", i):
            dec = _ansi_c(raw, i)
            if dec is None:
                return None
            out.append(dec[0])
            i = dec[1]
        elif c == "$" and raw.startswith('$"', i):
            i += 1
        elif (c == "$" and i + 1 < n and _NAME_START.match(raw, i + 1)) or c == "`":
            return None
        elif c == '"':
            i += 1
            while i < n and raw[i] != '"':
                ch = raw[i]
                if ch == "\\" and i + 1 < n and raw[i + 1] in '$`"\\\n':
                    if raw[i + 1] != "\n":
                        out.append(raw[i + 1])
                    i += 2
                    continue
                if ch == "`" or (ch == "$" and i + 1 < n and _NAME_START.match(raw, i + 1)):
                    return None
                out.append(ch)
                i += 1
            if i >= n:
                return None
            i += 1
        elif c in "<>" and raw.startswith("(", i + 1):
            return None
        else:
            if c in "*?[":
                glob = True
            elif c == "{" and _BRACE_EXPANSION.match(raw, i):
                return None
            out.append(c)
            i += 1
    return "".join(out), glob


def _make_word(raw: str, fallback_text: str, params: tuple[str, ...], subst: bool) -> Word:
    dq = None if subst else dequote(raw)
    if dq is None:
        return Word(fallback_text, opaque=True, params=params)
    return Word(dq[0], glob=dq[1], params=params)


class _Collector:
    """Shared bookkeeping for both parsers."""

    def __init__(self, src: str, downloaders: frozenset[str], peel: Any) -> None:
        self.src = src
        self.out = Parsed()
        self.funcs: list[str] = []
        self._downloaders = downloaders
        self._peel = peel

    def issue(self, rank: int, rule: str, reason: str) -> None:
        self.out.issues.append((rank, rule, reason))

    def check_self_call(self, cmd: SimpleCommand) -> None:
        if cmd.words and cmd.words[0].text in self.funcs:
            self.issue(2, "command.fork_bomb", f"function {cmd.words[0].text!r} calls itself")

    def subst_downloads(self, start: int) -> bool:
        for unit in self.out.units[start:]:
            for stage in unit.stages:
                for cmd in stage:
                    inner = self._peel(cmd.words)
                    if inner and inner[0].text.rsplit("/", 1)[-1] in self._downloaders:
                        return True
        return False


class _BashlexWalker(_Collector):
    def visit(self, node: Any, emit: bool = True) -> list[SimpleCommand]:
        """Visit a node; record pipelines as units; return the commands it directly runs."""
        kind = node.kind
        if kind == "command":
            cmd = self.command(node)
            if emit:
                self.out.units.append(Pipeline([[cmd]]))
            return [cmd]
        if kind == "pipeline":
            stages: list[list[SimpleCommand]] = []
            for part in node.parts:
                if part.kind in ("pipe", "reservedword"):
                    continue
                stages.append(self.visit(part, emit=False))
            self.out.units.append(Pipeline(stages))
            return [c for s in stages for c in s]
        if kind == "function":
            words = [p for p in node.parts if p.kind == "word"]
            name = words[0].word if words else ""
            self.funcs.append(name)
            ran: list[SimpleCommand] = []
            for part in node.parts:
                if part.kind not in ("word", "reservedword"):
                    ran += self.visit(part)
            self.funcs.pop()
            return ran
        if kind in ("list", "compound", "if", "for", "while", "until"):
            ran = []
            children = node.list if kind == "compound" else node.parts
            for part in children:
                if part.kind == "word":
                    self.word(part)
                elif part.kind == "redirect":
                    self.out.units.append(Pipeline([[SimpleCommand(redirects=[self.redir(part)])]]))
                elif part.kind not in ("operator", "reservedword", "pipe"):
                    ran += self.visit(part)
            return ran
        if kind in ("operator", "reservedword", "pipe"):
            return []
        self.issue(1, "command.unsupported", f"unsupported shell construct: {kind}")
        return []

    def word(self, node: Any) -> Word:
        params: list[str] = []
        subst = False
        download = False
        stack = list(getattr(node, "parts", []))
        while stack:
            part = stack.pop()
            if part.kind == "parameter":
                value = str(getattr(part, "value", ""))
                params.append(re.split(r"[^A-Za-z0-9_]", value, maxsplit=1)[0])
                if any(t in value for t in ("$(", "`", "<(", ">(")):
                    self.out.second_opinion = True
            elif part.kind in ("commandsubstitution", "processsubstitution"):
                subst = True
                start = len(self.out.units)
                self.visit(part.command)
                download = download or self.subst_downloads(start)
            elif part.kind != "tilde":
                self.issue(1, "command.unsupported", f"unsupported word part: {part.kind}")
            stack.extend(getattr(part, "parts", []))
        raw = self.src[node.pos[0] : node.pos[1]]
        w = _make_word(raw, node.word, tuple(p for p in params if p), subst)
        w.from_download = download
        return w

    def redir(self, node: Any) -> Redirect:
        op = str(node.type)
        target = node.output if hasattr(node.output, "kind") else None
        heredoc = getattr(node, "heredoc", None)
        if heredoc is not None:
            body = str(heredoc.value).rsplit("\n", 1)[0] if "\n" in heredoc.value else ""
            if "$(" in body or "`" in body:
                self.out.nested.append(body)
            return Redirect(op, None, body)
        if target is None:
            return Redirect(op)
        w = self.word(target)
        return Redirect(op, None, w.text) if op == "<<<" else Redirect(op, w)

    def command(self, node: Any) -> SimpleCommand:
        cmd = SimpleCommand()
        for part in node.parts:
            if part.kind == "assignment":
                cmd.assigns.append(self.word(part))
            elif part.kind == "word":
                cmd.words.append(self.word(part))
            elif part.kind == "redirect":
                cmd.redirects.append(self.redir(part))
            else:
                self.issue(1, "command.unsupported", f"unsupported command part: {part.kind}")
        self.check_self_call(cmd)
        return cmd


_TS_SUBST = ("command_substitution", "process_substitution")
_TS_KEYWORDS = ("export", "declare", "local", "readonly", "unset", "typeset")


class _TreeSitterWalker(_Collector):
    def text(self, node: Any) -> str:
        return bytes(node.text).decode("utf-8", "replace")

    def visit(self, node: Any, emit: bool = True) -> list[SimpleCommand]:
        t = node.type
        if t == "ERROR":
            self.issue(1, "command.unparsed", "shell syntax error")
        if t in ("command", "declaration_command", "unset_command"):
            cmd = self.command(node)
            if emit:
                self.out.units.append(Pipeline([[cmd]]))
            return [cmd]
        if t == "redirected_statement":
            ran: list[SimpleCommand] = []
            redirs: list[Redirect] = []
            for ch in node.named_children:
                if ch.type.endswith("_redirect"):
                    redirs.append(self.redir(ch))
                else:
                    ran += self.visit(ch, emit)
            if ran:
                ran[0].redirects.extend(redirs)
            else:
                self.out.units.append(Pipeline([[SimpleCommand(redirects=redirs)]]))
            return ran
        if t == "pipeline":
            stages = []
            for ch in node.named_children:
                stages.append(self.visit(ch, emit=False))
            self.out.units.append(Pipeline(stages))
            return [c for s in stages for c in s]
        if t == "function_definition":
            name = node.child_by_field_name("name")
            self.funcs.append(self.text(name) if name is not None else "")
            ran = [c for ch in node.named_children for c in self.visit(ch)]
            self.funcs.pop()
            return ran
        if t.endswith("_redirect"):
            self.out.units.append(Pipeline([[SimpleCommand(redirects=[self.redir(node)])]]))
            return []
        return [c for ch in node.named_children for c in self.visit(ch)]

    def word(self, node: Any) -> Word:
        raw = self.text(node)
        start = len(self.out.units)
        subst = False
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in _TS_SUBST:
                subst = True
                for ch in n.named_children:
                    self.visit(ch)
            else:
                stack.extend(n.named_children)
        params = tuple(re.findall(r"\$\{?#?!?([A-Za-z_][A-Za-z0-9_]*)", raw))
        w = _make_word(raw, raw, params, subst)
        w.from_download = subst and self.subst_downloads(start)
        return w

    def redir(self, node: Any) -> Redirect:
        op_node = next((c for c in node.children if not c.is_named), None)
        op = self.text(op_node) if op_node is not None else ">"
        if node.type == "heredoc_redirect":
            body = next((c for c in node.named_children if c.type == "heredoc_body"), None)
            return Redirect("<<", None, self.text(body) if body is not None else "")
        targets = [c for c in node.named_children if c.type != "file_descriptor"]
        if not targets:
            return Redirect(op)
        w = self.word(targets[-1])
        return Redirect(op, None, w.text) if node.type == "herestring_redirect" else Redirect(op, w)

    def command(self, node: Any) -> SimpleCommand:
        cmd = SimpleCommand()
        for ch in node.children:
            if ch.type == "variable_assignment":
                cmd.assigns.append(self.word(ch))
            elif ch.type.endswith("_redirect"):
                cmd.redirects.append(self.redir(ch))
            elif ch.type != "comment" and (ch.is_named or ch.type in _TS_KEYWORDS):
                cmd.words.append(self.word(ch))
        self.check_self_call(cmd)
        return cmd


def parse(text: str, downloaders: frozenset[str], peel: Any) -> Parsed:
    """Parse shell text. On bashlex failure the tree-sitter view is returned with fallback=True."""
    walker = _BashlexWalker(text, downloaders, peel)
    try:
        for tree in bashlex.parse(text):
            walker.visit(tree)
    except Exception as exc:  # bashlex raises several unrelated exception types
        out = parse_tree_sitter(text, downloaders, peel)
        out.fallback = True
        out.issues.insert(0, (1, "command.unparsed", f"shell parser could not fully parse: {exc}"))
        return out
    if walker.out.second_opinion:
        extra = parse_tree_sitter(text, downloaders, peel)
        walker.out.units.extend(extra.units)
        walker.out.issues.extend(extra.issues)
        walker.out.issues.append((1, "command.opaque", "substitution hidden in a parameter"))
    return walker.out


def parse_tree_sitter(text: str, downloaders: frozenset[str], peel: Any) -> Parsed:
    tree = parser("bash").parse(text.encode("utf-8", "surrogatepass"))
    walker = _TreeSitterWalker(text, downloaders, peel)
    walker.visit(tree.root_node)
    if tree.root_node.has_error:
        walker.issue(1, "command.unparsed", "shell syntax error")
    return walker.out
