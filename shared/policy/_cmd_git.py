"""git command rules (internal). Rule ids: ``git.<what>``.

Local read and commit work is allowed; anything that talks to a remote, rewrites history, deletes
work or changes configuration needs approval; known code-execution escapes (config overrides of
aliases / pagers / ssh command / filters, ``--ext-diff``, ``--textconv``, ``--upload-pack`` ...)
are denied because they run arbitrary programs outside the guard's view.
"""

from __future__ import annotations

import re

from shared.policy._cmd_base import IO, Ctx, check_path, check_paths, parse_opts
from shared.policy._shell import Word

F = frozenset
_GLOBAL_VALUES = F({"-c", "-C", "--git-dir", "--work-tree", "--namespace", "--config-env"})
_GLOBAL_VALUES |= F({"--super-prefix", "--exec-path", "--list-cmds", "--attr-source"})
_SUB_VALUES = F({"-m", "--message", "-F", "--file", "-C", "-c", "--author", "--date", "-b", "-B"})
_SUB_VALUES |= F({"--fixup", "--squash", "--template", "--trailer", "-o", "--output", "-S", "-G"})
_SUB_VALUES |= F({"--format", "--pretty", "-n", "--grep", "--since", "--until", "--onto"})
_SUB_VALUES |= F({"-x", "--exec", "--strategy", "-s", "-X", "--upload-pack", "--receive-pack"})
_SUB_VALUES |= F({"-u", "--tree-filter", "--index-filter", "--msg-filter", "--env-filter"})
_SUB_VALUES |= F({"--commit-filter", "--parent-filter", "--tag-name-filter", "--extcmd", "-t"})
_SUB_VALUES |= F({"--tool", "--depth", "--branch", "--origin", "--reference", "--separate-git-dir"})
DANGEROUS_KEY = re.compile(
    r"""(?ix)^(?:alias\..+|core\.(?:pager|sshcommand|editor|fsmonitor|hookspath|gitproxy|askpass
    |attributesfile|worktree)|diff\..*(?:textconv|command|external)|diff\.external|merge\..+\.driver
    |filter\..+|protocol\..+|credential\..*|sequence\.editor|gpg\..*program|pager\..+|url\..+
    |https?\..*proxy|remote\..+\.(?:uploadpack|receivepack|proxy|vcs|url|pushurl)|uploadpack\..+
    |receive\..+|include\.path|includeif\..+|init\.templatedir|ssh\.variant|web\.browser
    |man\..+|interactive\.difffilter|sendemail\..+|instaweb\..+|difftool\..+|mergetool\..+
    |browser\..+|gui\..+|guitool\..+|submodule\..+|transfer\..+|fetch\..+|http\..+|core\.askpass
    |color\..+|log\..+|tar\..+\.command|archive\..+)$"""
)
_ESCAPE_FLAGS = F({"--ext-diff", "--textconv", "--upload-pack", "--receive-pack", "--exec-path"})
_ESCAPE_FLAGS |= F({"--config-env", "--open-files-in-pager", "--extcmd"})
_READ = F({"status", "diff", "log", "show", "blame", "grep", "ls-files", "ls-tree", "rev-parse"})
_READ |= F({"rev-list", "describe", "shortlog", "cat-file", "show-ref", "merge-base", "name-rev"})
_READ |= F({"whatchanged", "count-objects", "check-ignore", "check-attr", "help", "version"})
_READ |= F({"cherry", "range-diff", "diff-tree", "diff-files", "diff-index", "for-each-ref"})
_READ |= F({"verify-commit", "fsck", "annotate", "show-branch", "var", "check-ref-format"})
_LOCAL = F({"add", "commit", "checkout", "switch", "restore", "mv", "rm", "merge", "cherry-pick"})
_LOCAL |= F({"revert", "init", "notes", "apply", "am", "format-patch", "stash", "branch", "tag"})
_LOCAL |= F({"mergetool", "rerere", "bisect", "config", "remote", "worktree", "clean", "reset"})
_NETWORK = F({"fetch", "pull", "clone", "ls-remote", "submodule", "archive", "request-pull"})
_NETWORK |= F({"daemon", "instaweb", "http-backend", "bundle", "p4", "svn", "cvsimport"})
_HISTORY = F({"rebase", "filter-branch", "filter-repo", "replace", "update-ref", "prune", "gc"})
_HISTORY |= F({"reflog", "symbolic-ref", "update-index", "commit-tree", "pack-refs", "repack"})


def _config_kv(ctx: Ctx, key: str, value: str, how: str) -> None:
    if DANGEROUS_KEY.match(key.strip()):
        ctx.deny("git.escape", f"git {how} {key}: config key that can run programs")
    else:
        ctx.na("git.config", f"git {how} {key}: changes git configuration")


def h_git(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    i = 0
    while i < len(args) and args[i].text.startswith("-") and not args[i].opaque:
        t = args[i].text
        nxt = args[i + 1].text if i + 1 < len(args) else ""
        if t == "-c":
            _config_kv(ctx, *nxt.partition("=")[::2], "-c")
            i += 1
        elif t.startswith("-c"):
            _config_kv(ctx, *t[2:].partition("=")[::2], "-c")
        elif t in ("-C", "--git-dir", "--work-tree"):
            check_path(ctx, args[i + 1] if nxt else Word("."), write=False, what=f"git {t}")
            i += 1
        elif t.startswith(("--git-dir=", "--work-tree=")):
            check_path(ctx, Word(t.split("=", 1)[1]), write=False, what="git " + t)
        elif t.startswith(("--config-env", "--exec-path=")):
            ctx.deny("git.escape", f"git {t.split('=')[0]} can run programs")
        elif t in _GLOBAL_VALUES:
            i += 1
        i += 1
    rest = args[i:]
    if not rest:
        return
    if rest[0].opaque:
        ctx.na("git.unknown", "git subcommand is not a literal")
        return
    sub, sargs = rest[0].text, rest[1:]
    o = parse_opts(sargs, _SUB_VALUES)
    pos = [w.text for w in o.pos]
    escapes = o.flags & _ESCAPE_FLAGS
    if sub in ("clone", "fetch", "pull", "ls-remote", "archive") and o.value("-u"):
        escapes = escapes | {"-u"}
    if escapes:
        ctx.deny("git.escape", f"git {sub} {' '.join(sorted(escapes))} can run programs")
    for w in o.value("-o", "--output"):
        check_path(ctx, w, write=True, what=f"git {sub} --output")
    if sub in _READ:
        if sub == "diff" and o.has("--no-index"):
            check_paths(ctx, o.pos, write=False, what="git diff --no-index")
        return
    if sub == "push":
        _push(ctx, o.flags, pos)
    elif sub in _HISTORY:
        if sub == "reflog" and (not pos or pos[0] in ("show", "exists")):
            return
        ctx.na("git.history_rewrite", f"git {sub} rewrites history or refs")
        for script in o.value("-x", "--exec", "--tree-filter", "--index-filter", "--msg-filter"):
            ctx.nested(script.text)
        for script in o.value("--env-filter", "--commit-filter", "--parent-filter"):
            ctx.nested(script.text)
    elif sub in _NETWORK:
        ctx.na("git.network", f"git {sub} talks to a remote")
        if sub == "submodule" and pos[:1] == ["foreach"]:
            ctx.nested(" ".join(pos[1:]))
    elif sub == "send-email":
        ctx.deny("command.exfiltration", "git send-email sends repository content out")
    elif sub in _LOCAL:
        _local(ctx, sub, o.flags, pos, o.pos)
    else:
        ctx.na("git.unknown", f"unknown git subcommand {sub!r} (alias or external git-{sub})")


def _push(ctx: Ctx, flags: set[str], pos: list[str]) -> None:
    ctx.na("git.push", "git push publishes commits")
    force = flags & F({"-f", "--force", "--force-with-lease", "--force-if-includes", "--mirror"})
    force |= flags & F({"--delete", "-d", "--prune"})
    if force or any(p.startswith(("+", ":")) for p in pos[1:]):
        ctx.na("git.force_push", "force push / ref deletion can destroy remote history")
    if pos and re.search(r"://|@|^[\w.-]+:", pos[0]):
        ctx.deny("command.exfiltration", f"git push to an explicit URL {pos[0]!r}")


def _local(ctx: Ctx, sub: str, flags: set[str], pos: list[str], words: list[Word]) -> None:
    if sub == "commit" and "--amend" in flags:
        ctx.na("git.history_rewrite", "git commit --amend rewrites the last commit")
    elif sub == "reset" and (
        flags & F({"--hard", "--keep", "--merge"})
        or (pos and "--" not in pos and re.search(r"[~^@]|^[0-9a-f]{7,40}$|^origin/", pos[0]))
    ):
        ctx.na("git.history_rewrite", "git reset moves the branch / discards work")
    elif sub == "clean" and not flags & F({"-n", "--dry-run"}):
        ctx.na("git.clean", "git clean deletes untracked files")
    elif sub == "branch" and flags & F({"-D", "-d", "--delete", "-M", "-f", "--force"}):
        ctx.na("git.destructive", "git branch deletion / forced move")
    elif sub == "tag" and flags & F({"-d", "--delete", "-f", "--force"}):
        ctx.na("git.destructive", "git tag deletion / forced move")
    elif sub == "stash" and pos[:1] in (["drop"], ["clear"]):
        ctx.na("git.destructive", "git stash drop/clear discards work")
    elif sub == "checkout" and flags & F({"-f", "--force"}):
        ctx.na("git.destructive", "git checkout --force discards work")
    elif sub == "config":
        _config_cmd(ctx, flags, pos)
    elif sub == "remote" and pos[:1] and pos[0] not in ("-v", "show", "get-url"):
        ctx.na("git.remote", f"git remote {pos[0]} changes remotes")
    elif sub == "worktree" and pos[:1] not in ([], ["list"]):
        ctx.na("git.worktree", "git worktree manages checkouts outside this worktree")
    elif sub == "bisect" and pos[:1] == ["run"]:
        ctx.words(words[1:])
    elif sub == "mergetool":
        ctx.na("git.escape", "git mergetool runs an external program")
    if sub in ("add", "rm", "mv", "checkout", "restore"):
        operands = words[pos.index("--") + 1 :] if "--" in pos else words
        if "--" in pos or sub in ("add", "rm", "mv"):
            check_paths(ctx, operands, write=sub != "add", what=f"git {sub}")


def _config_cmd(ctx: Ctx, flags: set[str], pos: list[str]) -> None:
    reading = F({"--get", "--get-all", "--get-regexp", "-l", "--list", "--show-origin"})
    writing = F({"--unset", "--unset-all", "--add", "--replace-all", "-e", "--edit"})
    if flags & reading or pos[:1] in (["get"], ["list"]):
        return
    if pos and pos[0] in ("set", "unset", "rename-section", "remove-section", "edit"):
        pos = pos[1:]
    elif len(pos) <= 1 and not flags & writing:
        return
    _config_kv(ctx, pos[0] if pos else "", " ".join(pos[1:]), "config")
