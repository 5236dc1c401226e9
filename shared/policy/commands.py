"""Shell command risk: ``assess_command(command) -> Verdict`` from a real shell parse.

Parsing. bashlex is the primary parser: it follows bash's own grammar, exposes command and
process substitutions as nodes, and is strict (it raises instead of guessing). Word texts are
re-dequoted from source (``_shell.dequote``), so ``\\rm``, ``r''m``, ``"r"'m'`` and ``$'\\x72m'``
all read as ``rm`` while any expansion makes a word opaque. tree-sitter-bash is the fallback when
bashlex raises (``case``, ``[[ ]]``, arithmetic, quoted here-doc delimiters ...) and a second
opinion when bashlex hides a substitution inside ``${x:-$(cmd)}``; its output is never trusted to
``allow`` (a fallback parse is at least ``needs_approval``) but can still escalate to ``deny``.

Analysis. Every simple command anywhere (chains, pipelines, subshells, substitutions, function,
if/for/while bodies, ``sh -c``/``eval``/``trap`` strings, here-docs fed to shells, ``find -exec``,
``xargs``) is inspected after peeling wrappers (sudo, env, timeout, nice, nohup, xargs ...).
A command whose name is not a literal is never allowed. Known-safe developer and read-only
commands are ``allow`` (their path operands checked against the worktree); every other command
not covered by a rule is ``needs_approval`` (rule ``command.unknown``): the guard cannot vouch
for a program it does not know, and the sandbox is the second line, not the first.

Rule ids: ``command.*`` (e.g. rm_critical, pipe_to_shell, exfiltration, env_dump,
credential_path, db_destroy, infra_destroy, dependency, migration, unknown, opaque, unparsed)
and ``git.*`` (push, force_push, history_rewrite, escape, network ...).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from shared.policy import _cmd_dev, _cmd_git, _cmd_infra, _cmd_rules
from shared.policy._cmd_base import IO, SECRET_VAR, Ctx, check_path, command_name, parse_opts
from shared.policy._cmd_rules import DECODERS, DOWNLOADERS, LITERAL, NETCAT, Handler
from shared.policy._patterns import classify
from shared.policy._shell import Pipeline, SimpleCommand, Word, parse
from shared.policy._simple import parse_simple
from shared.policy.verdict import Verdict, from_hits

__all__ = ["assess_command"]

F = frozenset
MAX_LEN = 16_384  # the sandbox MCP server refuses commands over 10,000 characters
_WRAP_VALUES: dict[str, tuple[frozenset[str], int]] = {
    "sudo": (F({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user"}), 0),
    "doas": (F({"-u", "-C"}), 0),
    "pkexec": (F({"--user"}), 0),
    "command": (F(), 0),
    "builtin": (F(), 0),
    "exec": (F({"-a"}), 0),
    "nice": (F({"-n", "--adjustment"}), 0),
    "nohup": (F(), 0),
    "timeout": (F({"-k", "-s", "--kill-after", "--signal"}), 1),
    "time": (F({"-f", "-o", "--format", "--output"}), 0),
    "stdbuf": (F({"-i", "-o", "-e", "--input", "--output", "--error"}), 0),
    "setsid": (F(), 0),
    "ionice": (F({"-c", "-n", "-p", "-P", "-u", "--class", "--classdata"}), 0),
    "chrt": (F(), 1),
    "taskset": (F({"-c", "--cpu-list"}), 1),
    "unbuffer": (F(), 0),
    "busybox": (F(), 0),
    "chroot": (F({"--userspec", "--groups"}), 1),
    "unshare": (F(), 0),
    "nsenter": (F({"-t", "--target"}), 0),
    "strace": (F({"-o", "-e", "-p", "-s", "-u", "-E", "-P", "-a", "-b", "-I", "-S", "-X"}), 0),
    "ltrace": (F({"-o", "-e", "-p", "-s", "-u", "-n"}), 0),
    "faketime": (F(), 1),
    "catchsegv": (F(), 0),
    "nocache": (F(), 0),
    "proxychains": (F({"-f"}), 0),
    "proxychains4": (F({"-f"}), 0),
    "torsocks": (F(), 0),
    "xvfb-run": (F({"-n", "-s", "-f", "-e", "-p"}), 0),
    "dbus-run-session": (F(), 0),
    "flock": (F({"-w", "--timeout", "-E", "--conflict-exit-code"}), 1),
    "env": (F({"-u", "--unset", "-C", "--chdir"}), 0),
    "xargs": (F({"-a", "-d", "-E", "-e", "-I", "-L", "-n", "-P", "-s", "--arg-file"}), 0),
}
_PRIVILEGED = F({"sudo", "doas", "pkexec", "chroot", "unshare", "nsenter", "su", "runuser"})
_STRING_RUNNERS = F({"su", "runuser", "watch", "script"})
_EXEMPT_GENERIC = LITERAL | F({"git", "cp", "mv", "tee", "install", "ln", "rsync", "touch"})
_GIT_ENV = re.compile(
    r"^(?:GIT_(?:SSH|SSH_COMMAND|EXTERNAL_DIFF|PAGER|EDITOR|SEQUENCE_EDITOR"
    r"|ASKPASS|EXEC_PATH|TEMPLATE_DIR|PROXY_COMMAND|CONFIG\w*)|SSH_ASKPASS"
    r"|PAGER|EDITOR|VISUAL|MANPAGER|LESSOPEN|LESSCLOSE)$"
)
_INJECT_ENV = re.compile(
    r"^(?:LD_\w+|BASH_ENV|ENV|PROMPT_COMMAND|NODE_OPTIONS|PYTHONSTARTUP"
    r"|PERL5OPT|PERL5LIB|RUBYOPT|PATH|IFS|SHELLOPTS|BASHOPTS|PS4)$"
)
_SAFE_PAGER = F({"", "cat", "less", "less -R", "more", "true", ":", "0", "1"})
_FORK_BOMB = re.compile(
    r"(?<![^\s;&|(){}])([^\s;&|(){}]{1,64})\s*\(\s*\)\s*\{[^}]{0,200}\1\s*\|\s*\1\s*&"
)
_TIME_PREFIX = re.compile(r"^\s*time(?:\s+-p)?\s+")
_ASSIGNERS = F({"export", "declare", "typeset", "local", "readonly"})


def _handler(name: str) -> Handler | None:
    if name == "git":
        return _cmd_git.h_git
    if _cmd_dev.PYTHONS.match(name):
        return _cmd_dev.h_python
    if name.startswith("mkfs"):
        return _cmd_infra.h_system
    if re.fullmatch(r"pip\d(?:\.\d+)?", name):
        return _cmd_dev.h_pkg
    return (
        _cmd_dev.HANDLERS.get(name)
        or _cmd_rules.HANDLERS.get(name)
        or _cmd_infra.HANDLERS.get(name)
    )


def _check_assignment(ctx: Ctx, text: str) -> None:
    name, _, value = text.partition("=")
    if name.startswith("GIT_CONFIG_KEY_") and _cmd_git.DANGEROUS_KEY.match(value):
        ctx.deny("git.escape", f"{name} sets a git config key that can run programs")
    elif _GIT_ENV.match(name) and value.strip() not in _SAFE_PAGER:
        ctx.deny("git.escape", f"{name}={value!r} makes git / tools run a program")
    elif _INJECT_ENV.match(name):
        ctx.na("command.env_injection", f"{name} changes how programs are loaded or run")


def _unwrap(ctx: Ctx | None, name: str, args: list[Word]) -> list[Word] | None:
    """Strip one wrapper; returns the wrapped argv, or None when nothing is run directly."""
    if ctx is not None and name in _PRIVILEGED:
        ctx.na("command.privilege", f"{name} changes privileges or root")
    if name in _STRING_RUNNERS or (name == "flock" and any(w.text == "-c" for w in args)):
        if ctx is not None:
            o = parse_opts(args, F({"-c", "--command", "-n", "-s", "-u", "-w", "-g"}))
            script = o.value("-c", "--command") or (o.pos if name == "watch" else [])
            if any(w.opaque for w in script):
                ctx.na("command.opaque", f"{name} runs a non-literal command string")
            elif script:
                ctx.nested(" ".join(w.text for w in script))
            else:
                ctx.na("command.interactive", f"{name} starts an interactive shell")
        return None
    values, skip = _WRAP_VALUES[name]
    if name == "env":
        for i, w in enumerate(args):
            t = w.text
            if t.startswith(("-S", "--split-string")):
                s = t.partition("=")[2] if "=" in t else t[2:] if len(t) > 2 else ""
                rest = args[i + 1 :] if s else args[i + 2 :]
                s = s or (args[i + 1].text if i + 1 < len(args) else "")
                if ctx is not None:
                    ctx.nested(" ".join([s] + [r.text for r in rest]))
                return None
            if "=" in t and not t.startswith("-") and ctx is not None:
                _check_assignment(ctx, t)
        args = [w for w in args if not ("=" in w.text and not w.text.startswith("-"))]
    o = parse_opts(args, values, stop=True)
    if name == "command" and o.has("-v", "-V"):
        return None
    if name == "taskset" and o.has("-c", "--cpu-list", "-p"):
        skip = 0
    inner = o.pos[skip:]
    if name == "env" and not inner and ctx is not None:
        _cmd_rules.h_env_dump(ctx, "env", args, IO())
    if name == "xargs":
        if ctx is not None:
            for w in o.value("-a", "--arg-file"):
                check_path(ctx, w, write=False, what="xargs")
        repl = {w.text for w in o.value("-I")} | ({"{}"} if o.has("-i", "--replace") else set())
        inner = [Word(w.text, opaque=True) if any(r in w.text for r in repl) else w for w in inner]
        inner = (inner or [Word("echo")]) + [Word("{stdin}", opaque=True)]
    if ctx is not None and not inner and name in _PRIVILEGED:
        ctx.na("command.interactive", f"{name} without a command starts a shell")
    return inner


def _peel(words: list[Word]) -> list[Word]:
    for _ in range(16):
        if not words or words[0].opaque:
            return words
        name = command_name(words[0].text)
        if name not in _WRAP_VALUES:
            return words
        words = _unwrap(None, name, words[1:]) or []
    return words


def _run_words(words: list[Word], ctx: Ctx, io: IO) -> None:
    for _ in range(16):
        if not words:
            return
        first = words[0]
        if first.from_download:
            ctx.deny("command.pipe_to_shell", "runs a command name produced by a download")
        if first.opaque or first.glob:
            ctx.na("command.opaque", f"command name {first.text!r} is not a literal")
            return
        name = command_name(first.text)
        if name is None:
            base = first.text.rsplit("/", 1)[-1]
            check_path(ctx, first, write=False, what="program")
            if base in ("manage.py", "artisan"):
                _cmd_dev.h_migration(ctx, base, words[1:], io)
            else:
                ctx.na("command.script", f"runs local program {first.text!r}")
            return
        if name in _WRAP_VALUES or name in _STRING_RUNNERS:
            inner = _unwrap(ctx, name, words[1:])
            if inner is None:
                return
            words = inner
            continue
        break
    else:
        ctx.na("command.too_deep", "too many nested wrappers")
        return
    args = words[1:]
    if name in _ASSIGNERS:
        for w in args:
            if "=" in w.text and not w.text.startswith("-"):
                _check_assignment(ctx, w.text)
    if name not in _EXEMPT_GENERIC:
        for w in args:
            if not any(c.isspace() for c in w.text) and classify(w.text, ctx.cwd).credential:
                ctx.deny("command.credential_path", f"{name}: touches credential path {w.text!r}")
    handler = _handler(name)
    if handler is not None:
        handler(ctx, name, args, io)
    elif name not in LITERAL:
        ctx.na("command.unknown", f"{name}: not on the allowlist of known commands")


def _run_command(cmd: SimpleCommand, ctx: Ctx, io: IO) -> None:
    for a in cmd.assigns:
        _check_assignment(ctx, a.text)
    every = cmd.assigns + cmd.words + [r.target for r in cmd.redirects if r.target is not None]
    for w in every:
        for p in w.params:
            if SECRET_VAR.search(p):
                ctx.deny("command.secret_env", f"expands secret-looking variable ${p}")
    for r in cmd.redirects:
        if r.target is not None:
            t = r.target.text
            if r.op in ("<", "<&", "0<"):
                check_path(ctx, r.target, write=False, what="redirect")
                io.file = True
            elif not (r.op.endswith("&") and (t.isdigit() or t == "-")):
                check_path(ctx, r.target, write=True, what="redirect")
        elif r.body is not None:
            io.text = r.body
    _run_words(cmd.words, ctx, io)


def _static_output(stage: list[SimpleCommand]) -> str | None:
    if len(stage) != 1:
        return None
    cmd = stage[0]
    words = _peel(cmd.words)
    if not words or any(w.opaque for w in words):
        return None
    name = command_name(words[0].text)
    if name in ("echo", "printf"):
        args = [w.text for w in words[1:] if not re.fullmatch(r"-[neE]+", w.text)]
        return "\n".join(" ".join(args).split("\\n"))
    if name == "cat" and len(words) == 1:
        return next((r.body for r in cmd.redirects if r.body is not None), None)
    return None


def _run_pipeline(p: Pipeline, ctx: Ctx) -> None:
    download = decoded = False
    text: str | None = None
    for idx, stage in enumerate(p.stages):
        for cmd in stage:
            _run_command(cmd, ctx, IO(idx > 0, text, download, decoded))
        names = {command_name(w[0].text) for w in (_peel(c.words) for c in stage) if w}
        download = download or bool(names & (DOWNLOADERS | NETCAT))
        decoded = decoded or bool(names & DECODERS)
        text = _static_output(stage)


def _run_text(text: str, ctx: Ctx) -> None:
    if len(text) > MAX_LEN:
        ctx.na("command.too_long", "command text too long to inspect")
        return
    if _FORK_BOMB.search(text):
        ctx.deny("command.fork_bomb", "fork bomb pattern")
    saved = ctx.cwd
    line = _TIME_PREFIX.sub("", text, count=1)
    parsed = parse_simple(line) or parse(line, DOWNLOADERS | NETCAT, _peel)
    ctx.hits.extend(parsed.issues)
    for unit in parsed.units:
        _run_pipeline(unit, ctx)
    for body in parsed.nested:
        ctx.nested(body)
    if ctx.depth:
        ctx.cwd = saved


@lru_cache(maxsize=4096)
def _assess(command: str, worktree: str | None) -> tuple[tuple[int, str, str], ...]:
    ctx = Ctx(worktree=worktree, run_text=_run_text, run_words=_run_words)
    if not command.strip():
        ctx.na("command.empty", "empty command")
    else:
        try:
            _run_text(command, ctx)
        except (RecursionError, ValueError, IndexError, KeyError, AttributeError, TypeError) as exc:
            ctx.na("command.internal_error", f"command analysis failed: {type(exc).__name__}")
    return tuple(ctx.hits)


def assess_command(command: str, *, worktree: Path | str | None = None) -> Verdict:
    """Judge one shell command line. ``worktree`` (optional) lets absolute paths inside it count
    as worktree paths; without it every absolute path is outside."""
    return from_hits(_assess(command, str(worktree) if worktree is not None else None))
