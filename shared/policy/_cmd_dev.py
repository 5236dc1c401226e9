"""Developer-tool rules (internal): interpreters, shells, package managers, migrations, test
runners. Rule ids: ``command.<what>``.

Known-safe developer commands (test runners, linters, type checkers, ``make test`` ...) are
allowed with their path operands checked; dependency changes, migrations and publishing are not.
"""

from __future__ import annotations

import re

from shared.policy import inline_js, inline_python
from shared.policy._cmd_base import IO, Ctx, check_option_paths, check_path, check_paths, parse_opts
from shared.policy._cmd_rules import Handler
from shared.policy._shell import Word

F = frozenset
SHELLS = F({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh", "yash"})
PYTHONS = re.compile(r"^(?:python(?:\d(?:\.\d+)?)?|pypy\d?|py)$")
INTERPRETERS = F({"node", "nodejs", "perl", "ruby", "php", "deno", "lua", "Rscript", "tclsh"})
INTERPRETERS |= F({"osascript", "pwsh", "powershell", "awk", "jshell", "irb", "groovy"})
NODES = F({"node", "nodejs"})
# Options that make node load other code (a module, a loader hook, a data: URL) or read an
# environment file before the script runs.
_NODE_LOADERS = F({"-r", "--require", "--import", "--loader", "--experimental-loader"})
_NODE_LOADERS |= F({"--env-file", "--env-file-if-exists", "--experimental-policy"})
_JS_EVAL = F({"-e", "--eval", "-p", "--print", "-pe"})
# Options that may come before node's -e / -p without changing what the inline code can do.
_JS_QUIET = F({"--no-warnings", "--no-deprecation", "--trace-warnings", "--trace-deprecation"})
_JS_QUIET |= F({"--throw-deprecation", "--enable-source-maps", "--input-type=commonjs"})
_JS_QUIET |= F({"--input-type=module", "--trace-uncaught"})
DEV_TOOLS = F({"pytest", "py.test", "ruff", "mypy", "black", "isort", "flake8", "pylint"})
DEV_TOOLS |= F({"pyright", "bandit", "tox", "nox", "tsc", "eslint", "prettier", "jest", "vitest"})
DEV_TOOLS |= F({"mocha", "gofmt", "rustfmt", "shellcheck", "semgrep", "hadolint", "yamllint"})
DEV_TOOLS |= F({"markdownlint", "pydocstyle", "vulture", "radon", "interrogate", "codespell"})
DEV_TOOLS |= F({"detect-secrets", "unittest", "doctest", "compileall", "py_compile", "venv"})
DEV_TOOLS |= F({"json.tool", "tokenize", "pre-commit", "coverage", "stylelint", "biome"})
DEV_TOOLS |= F({"playwright", "cypress", "golangci-lint", "staticcheck", "ty", "basedpyright"})
_DEP = F({"install", "i", "in", "ins", "isntall", "add", "ci", "uninstall", "un", "remove", "rm"})
_DEP |= F({"r", "update", "up", "upgrade", "dedupe", "ddp", "prune", "link", "ln", "lock", "sync"})
_DEP |= F({"get", "require", "purge", "dist-upgrade", "autoremove", "reinstall", "tidy", "vendor"})
_DEP |= F({"download", "wheel", "create", "localinstall", "upgrade-interactive", "self", "tool"})
_PUBLISH = F({"publish", "unpublish", "upload", "push", "login", "adduser", "token", "owner"})
_PUBLISH |= F({"yank", "deprecate", "dist-tag", "logout"})
PKG = F({"pip", "pip3", "pipx", "uv", "poetry", "pipenv", "conda", "mamba", "micromamba", "npm"})
PKG |= F({"yarn", "pnpm", "bun", "apt", "apt-get", "aptitude", "dnf", "yum", "apk", "zypper"})
PKG |= F({"pacman", "brew", "port", "snap", "flatpak", "cargo", "go", "gem", "bundle", "bundler"})
PKG |= F({"composer", "cpan", "cpanm", "nuget", "dotnet", "twine", "hatch", "flit", "pdm"})
PKG |= F({"rye", "pixi", "easy_install", "mvn", "gradle", "gradlew", "sbt", "swift", "pub"})
_SAFE_VERBS = F({"test", "t", "tst", "run", "run-script", "start", "list", "ls", "show", "view"})
_SAFE_VERBS |= F({"info", "freeze", "check", "outdated", "why", "explain", "tree", "build"})
_SAFE_VERBS |= F({"clippy", "fmt", "doc", "bench", "vet", "version", "--version", "help", "env"})
_SAFE_VERBS |= F({"metadata", "clean", "new", "init", "search", "lint", "typecheck", "inspect"})
_SAFE_VERBS |= F({"compile", "pack", "venv", "audit", "cache"})
_RUNNERS = F({"run", "exec", "x", "dlx"})
MIGRATORS = F({"alembic", "flask", "django-admin", "manage.py", "rails", "rake", "prisma"})
MIGRATORS |= F({"knex", "sequelize", "typeorm", "diesel", "sqlx", "goose", "migrate", "flyway"})
MIGRATORS |= F({"liquibase", "dbmate", "atlas", "sqitch", "yoyo", "refinery", "drizzle-kit"})
MIGRATORS |= F({"mikro-orm", "artisan", "yoyo-migrate"})
_DESTROY_WORDS = re.compile(
    r"^(?:flush|reset_db|reset|drop|drop-all|dropall|purge|clean|fresh|wipe|truncate)$"
    r"|^(?:db:(?:drop|reset|purge|schema:load|truncate_all|wipe)|migrate:(?:reset|fresh|refresh)"
    r"|schema:drop|--force-reset|--accept-data-loss)$"
)
_MIGRATE_VERBS = re.compile(
    r"^(?:upgrade|downgrade|stamp|migrate|deploy|dev|resolve|push|up|down|apply|update|execute"
    r"|run|rollback|redo|latest|db:\w+|migrate:\w+|migration:run|migration:revert|deploy)$"
)
_SAFE_MIGRATION = F({"history", "current", "heads", "branches", "show", "check", "revision"})
_SAFE_MIGRATION |= F({"merge", "makemigrations", "showmigrations", "sqlmigrate", "test", "help"})
_SAFE_MIGRATION |= F({"generate", "format", "validate", "version", "status", "--help", "routes"})
MAKE_TARGETS = F({"test", "tests", "check", "lint", "fmt", "format", "typecheck", "type-check"})
MAKE_TARGETS |= F({"build", "all", "coverage", "cov", "docs", "help", "unit", "unit-test"})
MAKE_TARGETS |= F({"unittest", "mypy", "ruff", "pytest", "verify", "ci", "style", "clean"})


def stdin_exec(ctx: Ctx, name: str, io: IO, shell: bool) -> None:
    """An interpreter that executes whatever arrives on stdin."""
    if io.download:
        ctx.deny("command.pipe_to_shell", f"download piped into {name}")
    elif io.decoded:
        ctx.deny("command.obfuscated_exec", f"decoded / obfuscated data piped into {name}")
    elif io.text is not None and shell:
        ctx.nested(io.text)
    elif io.text is not None or io.piped or io.file:
        ctx.na("command.inline_code", f"{name} executes code from its standard input")
    else:
        ctx.na("command.interactive", f"{name} without a script starts an interactive session")


def _exec_operand(ctx: Ctx, name: str, w: Word) -> bool:
    if w.from_download:
        ctx.deny("command.pipe_to_shell", f"{name} executes downloaded content")
        return False
    return True


def h_shell(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    i, has_c = 0, False
    while i < len(args) and not args[i].opaque and args[i].text[:1] in ("-", "+"):
        t = args[i].text
        if t in {"--", "-"}:
            i += 1
            break
        if t in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 1
        elif not t.startswith("--") and "c" in t[1:]:
            has_c = True
        i += 1
    rest = args[i:]
    if has_c:
        if not rest:
            ctx.na("command.opaque", f"{name} -c without a command")
        elif _exec_operand(ctx, name, rest[0]):
            if rest[0].opaque:
                ctx.na("command.opaque", f"{name} -c with a non-literal command string")
            else:
                ctx.nested(rest[0].text)
    elif rest:
        if _exec_operand(ctx, name, rest[0]):
            check_path(ctx, rest[0], write=False, what=name)
            ctx.na("command.script", f"{name} runs script file {rest[0].text!r}")
    else:
        stdin_exec(ctx, name, io, shell=True)


def h_eval(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    if any(not _exec_operand(ctx, name, w) for w in args):
        return
    if name in ("source", ".", "trap"):
        if name == "trap":
            if args and not args[0].opaque and not args[0].text.startswith("-"):
                ctx.nested(args[0].text)
            return
        check_paths(ctx, args[:1], write=False, what=name)
        ctx.na("command.script", f"{name} runs a script in the current shell")
        return
    if any(w.opaque for w in args):
        ctx.na("command.opaque", "eval of a non-literal string")
    else:
        ctx.nested(" ".join(w.text for w in args))


def h_python(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    i = 0
    while i < len(args) and not args[i].opaque and args[i].text.startswith("-"):
        t = args[i].text
        if t == "-":
            break
        if t.startswith("-c") and PYTHONS.match(name):
            _inline_python(ctx, name, t[2:] or None, args[i + 1] if i + 1 < len(args) else None)
            return
        if name in NODES and t.split("=", 1)[0] in _NODE_LOADERS:
            ctx.na(
                "command.inline_code", f"{name} {t.split('=', 1)[0]} loads code before the script"
            )
            return
        if name in NODES and (t in _JS_EVAL or t.startswith(("--eval=", "--print="))):
            _inline_js(ctx, name, args[:i], args[i:])
            return
        if t.startswith("-c") or t in ("-e", "--eval", "-p", "--print", "-r", "--require"):
            ctx.na("command.inline_code", f"{name} {t} runs inline code")
            return
        if t.startswith("-m") and PYTHONS.match(name):
            mod = t[2:] or (args[i + 1].text if i + 1 < len(args) else "")
            rest = args[i + 1 :] if t[2:] else args[i + 2 :]
            _module(ctx, mod, rest, io)
            return
        if t in ("-W", "-X", "--check-hash-based-pycs", "-I", "--import"):
            i += 1
        i += 1
    rest = args[i:]
    if not rest or rest[0].text == "-":
        stdin_exec(ctx, name, io, shell=False)
        return
    if not _exec_operand(ctx, name, rest[0]):
        return
    base = rest[0].text.rsplit("/", 1)[-1]
    check_path(ctx, rest[0], write=False, what=name)
    if base in ("manage.py", "artisan"):
        h_migration(ctx, base, rest[1:], io)
    elif name in INTERPRETERS - F({"node", "nodejs"}):
        ctx.na("command.script", f"{name} runs script {rest[0].text!r}")
    check_paths(
        ctx, [w for w in rest[1:] if w.text.startswith(("/", "~", "../"))], write=False, what=name
    )


def _inline_python(ctx: Ctx, name: str, glued: str | None, word: Word | None) -> None:
    """``python -c CODE``: literal code that does nothing a person must see runs at once."""
    if glued is None and (word is None or word.opaque):
        ctx.na("command.inline_code", f"{name} -c with code that is not a literal string")
        return
    code = glued if glued is not None else word.text if word is not None else ""
    why = inline_python.assess(code)
    if why is not None:
        ctx.na("command.inline_code", f"{name} -c runs inline code a person must see: {why}")


def _inline_js(ctx: Ctx, name: str, before: list[Word], rest: list[Word]) -> None:
    """``node -e CODE`` / ``node -p CODE``: literal code that does nothing a person must see runs
    at once. Node reads options after the code too (``-r``, ``--import``), and a script operand
    or another ``-e`` changes what runs, so only a few quiet options may come with it."""
    opt, glued = rest[0].text, None
    if opt.startswith("--") and "=" in opt:
        opt, glued = opt.split("=", 1)  # --eval=CODE
    word = None if glued is not None or len(rest) < 2 else rest[1]
    after = rest[1:] if glued is not None else rest[2:]
    if after or any(w.text not in _JS_QUIET for w in before):
        ctx.na("command.inline_code", f"{name} {opt} runs inline code with other options")
    elif glued is None and (word is None or word.opaque or word.text.startswith("-")):
        ctx.na("command.inline_code", f"{name} {opt} with code that is not a literal string")
    else:
        why = inline_js.assess(glued if glued is not None else word.text if word else "")
        if why is not None:
            ctx.na("command.inline_code", f"{name} {opt} runs inline code a person must see: {why}")


def _module(ctx: Ctx, mod: str, rest: list[Word], io: IO) -> None:
    if mod in DEV_TOOLS:
        h_devtool(ctx, mod, rest, io)
    elif mod in ("pip", "pip3", "uv", "poetry", "pipx", "twine", "build", "hatch", "pdm", "flit"):
        h_pkg(ctx, mod, rest, io)
    elif mod in ("alembic", "django", "flask"):
        h_migration(ctx, "django-admin" if mod == "django" else mod, rest, io)
    else:
        ctx.na("command.unknown", f"python -m {mod}: module not on the allowlist")


def h_devtool(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args)
    pos = [w.text for w in o.pos]
    if name == "pre-commit" and pos[:1] not in (["run"], []):
        ctx.na("git.hooks", "pre-commit install/autoupdate changes git hooks")
    if name == "coverage" and pos[:1] == ["run"]:
        h_python(ctx, "python", args[[w.text for w in args].index("run") + 1 :], io)
        return
    check_paths(ctx, [w for w in o.pos if "=" not in w.text], write=False, what=name)
    check_option_paths(ctx, o, name)


def h_make(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"-C", "-f", "--file", "--directory", "-j", "-l", "-o", "-W"}))
    check_paths(ctx, o.value("-C", "--directory", "-f", "--file"), write=False, what=name)
    for w in o.pos:
        if "=" in w.text:
            continue
        if w.opaque or w.text not in MAKE_TARGETS:
            ctx.na("command.make_target", f"make target {w.text!r} is not on the allowlist")


def h_pkg(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"-p", "--package", "-r", "--requirement", "-C", "--cwd", "--with"}))
    pos = [w.text for w in o.pos]
    verb = pos[0] if pos else ""
    if (name in ("uv", "pipx") and verb == "pip") or (name == "go" and verb == "mod"):
        verb = pos[1] if len(pos) > 1 else ""
    if name in ("npx", "bunx", "pnpx"):
        ctx.na("command.npx", f"{name} may download and run a package")
        ctx.words(o.pos)
        return
    if verb in _PUBLISH:
        ctx.deny("command.publish", f"{name} {verb}: publishes packages or handles registry tokens")
    elif (name in ("yarn", "bun") and not pos) or verb in _DEP or o.has("--with", "-S", "-R"):
        ctx.na("command.dependency", f"{name} {verb}: changes dependencies")
    elif verb == "audit" and "fix" in pos:
        ctx.na("command.dependency", f"{name} audit fix: changes dependencies")
    elif verb in _RUNNERS:
        npx = (name in ("npm", "pnpm") and verb == "exec") or (name == "pipx" and verb == "run")
        if verb in ("x", "dlx") or npx:
            ctx.na("command.npx", f"{name} {verb} may download and run a package")
            ctx.words(o.pos[1:])
        elif name not in ("npm", "yarn", "pnpm", "bun", "cargo", "go", "dotnet", "swift"):
            ctx.words(o.pos[1:])
    elif verb == "generate" and name == "go":
        ctx.na("command.exec_option", "go generate runs commands from source comments")
    elif name in ("yarn", "pnpm", "bun") or not verb:
        return
    elif verb not in _SAFE_VERBS or name in ("mvn", "gradle", "gradlew", "sbt", "apt", "apt-get"):
        ctx.na("command.unknown", f"{name} {verb}: not on the allowlist")


def h_migration(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"-c", "--config", "-x", "--database", "--schema", "-n", "--name"}))
    pos = [w.text.lower() for w in o.pos]
    flags = {f.lower() for f in o.flags}
    if name == "flask" and pos[:1] != ["db"]:
        ctx.na("command.unknown", f"flask {' '.join(pos[:1])}: not on the allowlist")
        return
    if name == "flask" or (name == "prisma" and pos[:1] == ["migrate"]):
        pos = pos[1:]
    words = set(pos[:2]) | flags
    verb = pos[0] if pos else ""
    if any(_DESTROY_WORDS.match(w) for w in words) or (name == "prisma" and verb == "reset"):
        ctx.deny("command.db_destroy", f"{name} {verb}: drops or wipes the database")
    elif verb in _SAFE_MIGRATION and not (name == "prisma" and verb == "push"):
        return
    elif _MIGRATE_VERBS.match(verb) or name not in ("manage.py", "django-admin", "rails", "rake"):
        ctx.na("command.migration", f"{name} {verb}: applies database migrations")
    else:
        ctx.na("command.unknown", f"{name} {verb}: not on the allowlist")


HANDLERS: dict[str, Handler] = {}
for _names, _h in (
    (SHELLS, h_shell),
    (F({"eval", "source", ".", "trap"}), h_eval),
    (INTERPRETERS - F({"awk"}), h_python),
    (DEV_TOOLS, h_devtool),
    (F({"make", "gmake"}), h_make),
    (PKG | F({"npx", "bunx", "pnpx"}), h_pkg),
    (MIGRATORS, h_migration),
):
    for _n in _names:
        HANDLERS[_n] = _h
