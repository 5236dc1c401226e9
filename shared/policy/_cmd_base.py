"""Shared plumbing for the command rules (internal): context, stdin facts, option parsing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.policy._patterns import CI_CONFIG, classify
from shared.policy._shell import Word

MAX_DEPTH = 8
SYSTEM_BIN_DIRS = frozenset(
    {"/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"}
)
SECRET_VAR = re.compile(
    r"(?i)(?:secret|token|passw(?:or)?d|api_?key|access_?key|private_?key|credential|"
    r"auth_?key|client_?secret|session_?key|signing_?key)"
)


@dataclass(slots=True)
class IO:
    """What is known about a command's standard input."""

    piped: bool = False  # fed by an earlier pipeline stage
    text: str | None = None  # statically known stdin text (here-doc, here-string, echo | ...)
    download: bool = False  # an earlier stage fetches from the network
    decoded: bool = False  # an earlier stage decodes / deobfuscates data
    file: bool = False  # redirected from a file


@dataclass(slots=True)
class Ctx:
    worktree: str | None
    run_text: Callable[[str, Ctx], None]
    run_words: Callable[[list[Word], Ctx, IO], None]
    depth: int = 0
    cwd: str | None = None
    hits: list[tuple[int, str, str]] = field(default_factory=list)

    def na(self, rule: str, reason: str) -> None:
        self.hits.append((1, rule, reason))

    def deny(self, rule: str, reason: str) -> None:
        self.hits.append((2, rule, reason))

    def nested(self, text: str) -> None:
        """Analyse a shell string that will itself be executed (sh -c, eval, trap ...)."""
        if self.depth >= MAX_DEPTH:
            self.na("command.too_deep", "shell nesting too deep to inspect")
            return
        self.depth += 1
        try:
            self.run_text(text, self)
        finally:
            self.depth -= 1

    def words(self, words: list[Word], io: IO | None = None) -> None:
        """Analyse an argument vector that will be executed (find -exec, bisect run ...)."""
        if not words:
            return
        if self.depth >= MAX_DEPTH:
            self.na("command.too_deep", "command nesting too deep to inspect")
            return
        self.depth += 1
        try:
            self.run_words(words, self, io or IO())
        finally:
            self.depth -= 1


@dataclass(slots=True)
class Opts:
    flags: set[str] = field(default_factory=set)
    values: dict[str, list[Word]] = field(default_factory=dict)
    pos: list[Word] = field(default_factory=list)

    def has(self, *names: str) -> bool:
        return any(n in self.flags for n in names)

    def value(self, *names: str) -> list[Word]:
        return [w for n in names for w in self.values.get(n, [])]


def parse_opts(
    args: list[Word], with_value: frozenset[str] = frozenset(), stop: bool = False
) -> Opts:
    """getopt-style split into flags, option values and positionals.

    Short clusters (-rf) become separate flags; ``--x=v`` and ``-xv`` forms carry values.
    ``stop`` ends option parsing at the first positional (wrapper-style commands).
    """
    o = Opts()
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.opaque or not t.startswith("-") or t == "-":
            o.pos.append(w)
            if stop:
                o.pos.extend(args[i + 1 :])
                break
        elif t == "--":
            o.pos.extend(args[i + 1 :])
            break
        elif t.startswith("--"):
            name, eq, val = t.partition("=")
            o.flags.add(name)
            if eq:
                o.values.setdefault(name, []).append(Word(val))
            elif name in with_value and i + 1 < len(args):
                o.values.setdefault(name, []).append(args[i + 1])
                i += 1
        else:
            for k, ch in enumerate(t[1:]):
                opt = "-" + ch
                o.flags.add(opt)
                if opt in with_value:
                    rest = t[2 + k :]
                    if rest:
                        o.values.setdefault(opt, []).append(Word(rest))
                    elif i + 1 < len(args):
                        o.values.setdefault(opt, []).append(args[i + 1])
                        i += 1
                    break
        i += 1
    return o


def command_name(text: str) -> str | None:
    """Basename for bare or system-path command words; None for other path-qualified names."""
    if "/" not in text:
        return text
    head, _, base = text.rpartition("/")
    head = "/" + head.strip("/")
    return base if head in SYSTEM_BIN_DIRS else None


def check_path(ctx: Ctx, w: Word, *, write: bool, what: str) -> None:
    """Judge one path operand (read or write) relative to the worktree."""
    info = classify(w.text, ctx.cwd, ctx.worktree)
    if info.credential and (not write or info.kind != "worktree"):
        ctx.deny("command.credential_path", f"{what}: touches credential path {w.text!r}")
        return
    if w.opaque:
        ctx.na("command.opaque_arg", f"{what}: path {w.text!r} is not a literal")
        return
    kind = info.kind
    if kind == "net_dev":
        ctx.deny("command.exfiltration", f"{what}: network device path {w.text!r}")
    elif kind == "device":
        if write:
            ctx.deny("command.device_write", f"{what}: writes to device {w.text!r}")
        else:
            ctx.na("command.outside_worktree", f"{what}: reads device {w.text!r}")
    elif kind == "system" and write:
        ctx.deny("command.system_write", f"{what}: writes to system path {w.text!r}")
    elif info.persistence and write:
        ctx.deny("command.persistence", f"{what}: writes shell/user startup file {w.text!r}")
    elif kind in ("system", "outside", "escape"):
        ctx.na("command.outside_worktree", f"{what}: path outside the worktree {w.text!r}")
    elif kind == "worktree" and write:
        parts = [p.lower() for p in info.norm.split("/")]
        if ".git" in parts:
            ctx.deny("command.git_internals", f"{what}: modifies git internals {w.text!r}")
        elif CI_CONFIG.match(info.norm):
            ctx.na("command.ci_config", f"{what}: changes CI configuration {w.text!r}")


def check_paths(ctx: Ctx, words: list[Word], *, write: bool, what: str) -> None:
    for w in words:
        check_path(ctx, w, write=write, what=what)


def check_option_paths(ctx: Ctx, opts: Opts, what: str) -> None:
    """Option values that look like paths (``--rootdir=/``) are judged as reads."""
    for vals in opts.values.values():
        for w in vals:
            t = w.text
            if t.startswith(("/", "~", "$HOME", "${HOME}")) or t == ".." or t.startswith("../"):
                check_path(ctx, w, write=False, what=what)
