"""Command rules for filesystem, system, network, database and infrastructure tools (internal).

Each handler receives the command name (after unwrapping), its argument words and stdin facts,
and records hits on the context. Rule ids: ``command.<what>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from shared.policy._cmd_base import (
    IO,
    Ctx,
    check_option_paths,
    check_path,
    check_paths,
    parse_opts,
)
from shared.policy._patterns import classify, is_critical
from shared.policy._shell import Word

Handler = Callable[[Ctx, str, list[Word], IO], None]
F = frozenset

DOWNLOADERS = F({"curl", "wget", "fetch", "aria2c", "http", "https", "xh", "lwp-request"})
DOWNLOADERS |= F({"GET", "lynx", "w3m"})
DECODERS = F({"base64", "base32", "xxd", "uudecode", "openssl", "rev", "gunzip", "zcat", "gzip"})
DECODERS |= F({"bunzip2", "xz", "unxz", "python", "python3", "perl", "tr"})
LITERAL = F({"echo", "printf", "true", "false", ":", "test", "[", "sleep", "date", "pwd"})
LITERAL |= F({"whoami", "id", "uname", "hostname", "which", "type", "seq", "expr", "basename"})
LITERAL |= F({"dirname", "nproc", "tput", "clear", "exit", "return", "wait", "read", "shift"})
LITERAL |= F({"getopts", "break", "continue", "cal", "tty", "locale", "arch", "let", "yes"})
LITERAL |= F({"unset", "shopt", "umask", "ulimit", "hash", "popd", "dirs", "times", "trap"})
READERS = F({"cat", "head", "tail", "less", "more", "nl", "wc", "sort", "uniq", "cut", "paste"})
READERS |= F({"diff", "cmp", "comm", "file", "stat", "strings", "xxd", "od", "hexdump", "tac"})
READERS |= F({"base64", "md5sum", "sha1sum", "sha256sum", "sha512sum", "ls", "tree", "du"})
READERS |= F({"realpath", "readlink", "column", "fold", "fmt", "rev", "join", "expand", "bat"})
READERS |= F({"iconv", "cksum", "jq", "yq", "tr", "df", "zcat", "zless", "grep", "egrep"})
READERS |= F({"fgrep", "rg", "ag", "ack", "git-grep", "diff3", "sdiff", "colordiff", "look"})
CREATORS = F({"touch", "mkdir", "truncate", "patch", "gzip", "gunzip", "zip", "unzip", "tar"})
NETCAT = F({"nc", "ncat", "netcat", "socat", "telnet", "cryptcat", "pwncat", "ssh", "sshpass"})
NETCAT |= F({"scp", "sftp", "ftp", "lftp", "tftp", "smbclient", "mosh", "ngrok", "cloudflared"})
NET_MISC = F({"ping", "dig", "nslookup", "host", "traceroute", "whois", "nmap", "rclone"})
ENV_DUMPERS = F({"env", "printenv", "set", "export", "declare", "typeset", "readonly", "local"})
ENV_DUMPERS |= F({"compgen"})
DB_CLIENTS = F({"psql", "mysql", "mariadb", "sqlite3", "sqlite", "sqlcmd", "mongo", "mongosh"})
DB_CLIENTS |= F({"redis-cli", "clickhouse-client", "clickhouse", "cockroach", "cqlsh", "duckdb"})
DB_CLIENTS |= F({"pgcli", "mycli", "litecli", "usql", "pg_dump", "pg_dumpall", "mysqldump"})
DB_CLIENTS |= F({"pg_restore", "mysqladmin", "createdb", "valkey-cli"})
DB_DESTROY_CMDS = F({"dropdb", "dropuser"})
_DB_SQL_OPTS = F({"-c", "--command", "-e", "--execute", "-q", "--query", "-Q", "--eval", "-f"})
_DB_SQL_OPTS |= F({"--file", "-d", "--dbname", "-h", "--host", "-U", "-u", "--user", "-p", "-P"})
SQL_DESTROY = re.compile(
    r"(?is)\b(?:drop\s+(?:database|schema|table|owned|keyspace|collection)\b"
    r"|truncate\b|delete\s+from\s+[\w.\"`\[\]]+\s*(?:;|$)|flushall\b|flushdb\b"
    r"|dropdatabase\s*\(|\.drop\s*\(|\.deletemany\s*\(\s*\{\s*\}\s*\)"
    r"|alter\s+table\s+\S+\s+drop\b)"
)
SQL_WRITE = re.compile(
    r"(?is)\b(?:insert|update|delete|alter|create|grant|revoke|copy|merge|replace|rename"
    r"|comment\s+on|vacuum|reindex|set\s+|del\b|hset|lpush|rpush|expire|insertone|updateone)"
)
_SQL_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/|#[^\n]*", re.S)
_CURL_UPLOAD = F({"-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "--json"})
_CURL_UPLOAD |= F({"--data-ascii", "-F", "--form", "--form-string", "-T", "--upload-file"})
_WGET_UPLOAD = F({"--post-data", "--post-file", "--body-data", "--body-file"})
_CURL_VALUES = _CURL_UPLOAD | F({"-o", "--output", "-X", "--request", "-H", "--header", "-K"})
_CURL_VALUES |= F({"--config", "-u", "--user", "-A", "-e", "-b", "-c", "--method", "-O"})
_CURL_VALUES |= F({"--output-document", "-x", "--proxy"})


def sql_verdict(ctx: Ctx, name: str, sql: str, visible: bool) -> None:
    text = _SQL_COMMENTS.sub(" ", sql)
    if SQL_DESTROY.search(text):
        ctx.deny("command.db_destroy", f"{name}: destructive SQL (DROP/TRUNCATE/unbounded DELETE)")
    elif SQL_WRITE.search(text):
        ctx.na("command.db_write", f"{name}: SQL that changes schema or data")
    elif not visible:
        ctx.na("command.db_opaque", f"{name}: database session whose statements are not visible")
    else:
        ctx.na("command.db_client", f"{name}: database client")


def h_db(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    if name in DB_DESTROY_CMDS:
        ctx.deny("command.db_destroy", f"{name} removes a database or role")
        return
    o = parse_opts(args, _DB_SQL_OPTS)
    pieces = [w.text for w in o.pos] + [w.text for w in o.value("-c", "--command", "-e")]
    pieces += [w.text for w in o.value("--execute", "-q", "--query", "-Q", "--eval")]
    if name == "pg_restore" and o.has("-c", "--clean"):
        pieces.append("DROP TABLE")
    if name == "mysqladmin" and any(w.text.lower() == "drop" for w in o.pos):
        pieces.append("DROP DATABASE")
    if io.text is not None:
        pieces.append(io.text)
    opaque = bool(o.value("-f", "--file")) or io.file or (io.piped and io.text is None)
    opaque = opaque or any(w.opaque for w in args)
    sql_verdict(ctx, name, "\n".join(pieces), visible=not opaque and len(pieces) > 0)


def h_rm(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args)
    recursive = name in ("rmdir", "shred", "srm", "wipe") or o.has("-r", "-R", "--recursive")
    if o.has("--no-preserve-root"):
        ctx.deny("command.rm_critical", f"{name} --no-preserve-root")
    if name in ("shred", "srm", "wipe"):
        ctx.na("command.shred", f"{name} irrecoverably destroys files")
    for w in o.pos:
        if recursive and (is_critical(w.text, ctx.cwd, ctx.worktree)):
            ctx.deny("command.rm_critical", f"{name} -r on critical path {w.text!r}")
            continue
        info = classify(w.text, ctx.cwd, ctx.worktree)
        if recursive and not w.opaque and info.norm in (".", "*"):
            ctx.na("command.rm_worktree", f"{name} -r would empty the whole worktree")
        check_path(ctx, w, write=True, what=name)


def h_chperm(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"--reference", "--from"}))
    targets = o.pos if o.value("--reference") else o.pos[1:]
    mode = o.pos[0].text if o.pos and not o.value("--reference") else ""
    for w in targets:
        if o.has("-R", "--recursive") and is_critical(w.text, ctx.cwd, ctx.worktree):
            ctx.deny("command.perm_critical", f"{name} -R on critical path {w.text!r}")
        elif re.fullmatch(r"0?[0-7]?777|a\+rwx|ugo\+rwx|o\+w", mode):
            kind = classify(w.text, ctx.cwd, ctx.worktree).kind
            if kind in ("system", "outside"):
                ctx.deny("command.perm_critical", f"{name} {mode} outside the worktree")
        check_path(ctx, w, write=True, what=name)


def h_dd(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    for w in args:
        key, eq, val = w.text.partition("=")
        if eq and key == "of":
            check_path(ctx, Word(val, opaque=w.opaque), write=True, what="dd")
        elif eq and key == "if":
            check_path(ctx, Word(val, opaque=w.opaque), write=False, what="dd")
    ctx.na("command.dd", "dd writes raw blocks")


def h_writer(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"-t", "--target-directory", "-S", "--suffix", "-m", "--mode"}))
    check_paths(ctx, o.value("-t", "--target-directory"), write=True, what=name)
    if name == "tee":
        check_paths(ctx, o.pos, write=True, what=name)
    elif name in ("mv",):
        for w in o.pos:
            if is_critical(w.text, ctx.cwd, ctx.worktree):
                ctx.deny("command.rm_critical", f"mv of critical path {w.text!r}")
        check_paths(ctx, o.pos, write=True, what=name)
    elif name in ("cp", "install", "ln", "rsync"):
        if name == "rsync" and any(":" in w.text.split("/", 1)[0] for w in o.pos):
            ctx.deny("command.exfiltration", "rsync to or from a remote host")
            return
        if o.value("-t", "--target-directory"):
            check_paths(ctx, o.pos, write=False, what=name)
        elif o.pos:
            check_paths(ctx, o.pos[:-1], write=False, what=name)
            check_path(ctx, o.pos[-1], write=True, what=name)
        if name == "ln" and o.has("-s", "--symbolic") and len(o.pos) >= 2:
            src = classify(o.pos[0].text, ctx.cwd, ctx.worktree)
            if src.kind not in ("worktree", "tmp"):
                ctx.na("command.symlink_outside", "symlink pointing outside the worktree")
    else:
        check_paths(ctx, o.pos, write=True, what=name)


def h_sed(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"-e", "--expression", "-f", "--file", "-l", "-s"}))
    scripts = [w.text for w in o.value("-e", "--expression")]
    files = o.pos
    if not scripts and files:
        scripts, files = [files[0].text], files[1:]
    for script in scripts:
        if re.search(r"(?:^|[;}\n])\s*[\d$,/!]*\s*[ewWrR]\b|s(.).*?\1.*?\1[gpiImM\d]*[ew]", script):
            ctx.na("command.exec_option", "sed script can execute commands or write files")
    check_paths(ctx, o.value("-f", "--file"), write=False, what=name)
    inplace = any(f.startswith(("-i", "--in-place")) for f in o.flags)
    check_paths(ctx, files, write=inplace, what=name)


_READER_VALUES: dict[str, frozenset[str]] = {
    "grep": F({"-e", "-f", "-m", "-A", "-B", "-C", "--regexp", "--file", "--max-count"}),
    "rg": F({"-e", "-f", "-g", "-t", "-T", "-m", "-A", "-B", "-C", "-r", "-M", "--glob"}),
    "sort": F({"-o", "--output", "-k", "-t", "-S", "-T", "--key"}),
    "head": F({"-n", "-c"}),
    "tail": F({"-n", "-c"}),
    "jq": F({"--arg", "--argjson", "--slurpfile", "--rawfile", "-L"}),
}
_READER_VALUES["egrep"] = _READER_VALUES["fgrep"] = _READER_VALUES["grep"]
_READER_VALUES["ag"] = _READER_VALUES["ack"] = _READER_VALUES["rg"]


def h_reader(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, _READER_VALUES.get(name, F()) | F({"--pre", "--type", "--replace"}))
    files = o.pos
    if name in ("grep", "egrep", "fgrep", "rg", "ag", "ack", "jq", "yq", "look"):
        if not o.value("-e", "--regexp", "-f", "--file") and files:
            files = files[1:]
        check_paths(ctx, o.value("-f", "--file"), write=False, what=name)
        if name == "rg" and o.has("--pre", "--search-zip", "-z"):
            ctx.na("command.exec_option", "rg --pre / -z runs a command per file")
    if name == "sort":
        check_paths(ctx, o.value("-o", "--output"), write=True, what=name)
    elif name == "tr":
        files = []
    check_paths(ctx, files, write=False, what=name)
    check_option_paths(ctx, o, name)


def h_awk(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"-f", "-v", "-F", "--file", "--assign", "--field-separator"}))
    files = o.pos
    programs = [w.text for w in o.value("-f", "--file")]
    if not programs and files:
        programs, files = [files[0].text], files[1:]
        if re.search(r"system|\|\s*\"|\|&|>\s*\"|print[^;}]*>|getline", programs[0]):
            ctx.na("command.exec_option", "awk program runs commands or writes files")
    check_paths(ctx, files, write=False, what=name)


def h_find(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    starts: list[Word] = []
    i = 0
    while i < len(args) and not args[i].text.startswith(("-", "(", "!")):
        starts.append(args[i])
        i += 1
    starts = starts or [Word(".")]
    check_paths(ctx, starts, write=False, what=name)
    while i < len(args):
        t = args[i].text
        if t in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            while j < len(args) and args[j].text not in (";", "+"):
                j += 1
            s0 = starts[0].text
            ph = s0 if is_critical(s0, ctx.cwd, ctx.worktree) else s0.rstrip("/") + "/{}"
            inner = [
                Word(ph, opaque=starts[0].opaque) if w.text == "{}" else w for w in args[i + 1 : j]
            ]
            ctx.words(inner)
            i = j
        elif t == "-delete":
            for s in starts:
                if is_critical(s.text, ctx.cwd, ctx.worktree):
                    ctx.deny("command.rm_critical", f"find -delete under critical path {s.text!r}")
            check_paths(ctx, starts, write=True, what="find -delete")
        elif t in ("-fprint", "-fprint0", "-fprintf", "-fls") and i + 1 < len(args):
            check_path(ctx, args[i + 1], write=True, what="find " + t)
        i += 1


def h_cd(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args)
    if not o.pos:
        ctx.cwd = "~"
        return
    w = o.pos[0]
    if w.opaque or w.text == "-":
        ctx.na("command.opaque_arg", f"{name} to a directory that is not a literal")
        ctx.cwd = "/?"
        return
    info = classify(w.text, ctx.cwd, ctx.worktree)
    if info.kind not in ("worktree", "tmp"):
        ctx.na("command.outside_worktree", f"{name} leaves the worktree: {w.text!r}")
    ctx.cwd = None if info.norm == "." else info.norm


def h_env_dump(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args)
    names = [w for w in o.pos if "=" not in w.text]
    if name in ("printenv", "env") or (name == "set" and not args):
        ctx.deny("command.env_dump", f"{name} reveals the process environment")
    elif name in ("export", "declare", "typeset", "readonly", "local"):
        if not o.pos and (not o.flags or o.flags & {"-p", "-x"}):
            ctx.deny("command.env_dump", f"{name} lists exported variables")
        elif name != "local" and o.flags & {"-p"} and names:
            ctx.deny("command.env_dump", f"{name} -p prints variable values")
    elif name == "compgen" and o.flags & {"-e", "-v"}:
        ctx.deny("command.env_dump", "compgen lists variables")


def h_net(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    if name in NETCAT:
        ctx.deny("command.exfiltration", f"{name} opens a raw network / remote channel")
        return
    if name in NET_MISC:
        ctx.na("command.network", f"{name} uses the network")
        return
    o = parse_opts(args, _CURL_VALUES | _WGET_UPLOAD)
    method = " ".join(w.text.upper() for w in o.value("-X", "--request", "--method"))
    if o.flags & (_CURL_UPLOAD | _WGET_UPLOAD) or re.search(r"POST|PUT|PATCH", method):
        ctx.deny("command.exfiltration", f"{name} sends data to the network")
    for w in o.pos:
        if w.text.lower().startswith("file:"):
            check_path(ctx, Word(re.sub(r"(?i)^file:/*", "/", w.text)), write=False, what=name)
    check_paths(ctx, o.value("-o", "--output", "-O", "--output-document"), write=True, what=name)
    check_paths(ctx, o.value("-K", "--config"), write=False, what=name)
    ctx.na("command.network", f"{name} fetches from the network")


HANDLERS: dict[str, Handler] = {}
for _names, _h in (
    (DB_CLIENTS | DB_DESTROY_CMDS, h_db),
    (F({"rm", "rmdir", "unlink", "shred", "srm", "wipe"}), h_rm),
    (F({"chmod", "chown", "chgrp"}), h_chperm),
    (F({"dd"}), h_dd),
    (F({"tee", "cp", "mv", "ln", "install", "rsync"}) | CREATORS, h_writer),
    (F({"sed"}), h_sed),
    (READERS, h_reader),
    (F({"awk", "gawk", "mawk", "nawk"}), h_awk),
    (F({"find"}), h_find),
    (F({"cd", "pushd"}), h_cd),
    (ENV_DUMPERS, h_env_dump),
    (DOWNLOADERS | NETCAT | NET_MISC, h_net),
):
    for _n in _names:
        HANDLERS[_n] = _h
