"""A fast path for plain command lines (internal module).

Most tool calls are lines like ``pytest -q``, ``ruff check . && mypy src`` or
``git log --oneline | head``: words, simple quotes, ``&&`` ``||`` ``;`` ``|`` and ``>`` ``>>``
``<`` to a plain file. For those, bash's grammar reduces to splitting, and running the full
parser costs most of a decision. ``parse_simple`` recognises exactly that subset and returns
``None`` for anything else (an expansion, a glob, a backslash, a keyword, a here-doc, a
sub-shell, an assignment ...), so the full parser decides every line it does not fully
understand. The differential test holds it to producing the same form as the full parser.
"""

from __future__ import annotations

import re

from shared.policy._shell import Parsed, Pipeline, Redirect, SimpleCommand, Word, dequote

# Characters that mean nothing special to bash outside quotes (also not at a word's start).
_PLAIN = re.compile(r"[A-Za-z0-9_./:,@%+=-]+")
_SINGLE = re.compile(r"'[^']*'")
_DOUBLE = re.compile(r'"[^"$`\\!]*"')
_SPACE = re.compile(r"[ \t]+")
_OPERATORS = ("&&", "||", ";", "|")
_REDIRECTS = (">>", ">", "<")
_RESERVED = frozenset(
    {"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until"}
    | {"do", "done", "in", "function", "time", "coproc", "{", "}", "[[", "]]", "!"}
)


def _word(text: str, i: int) -> int:
    """Index just past the word starting at ``text[i]`` (``i`` itself when there is none)."""
    j = i
    while j < len(text):
        m = _PLAIN.match(text, j) or _SINGLE.match(text, j) or _DOUBLE.match(text, j)
        if m is None:
            break
        j = m.end()
    return j


def _tokens(text: str) -> list[tuple[str, str]] | None:
    """("w", raw word) / ("op", operator) / ("r", redirect operator), or None when not plain."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        m = _SPACE.match(text, i)
        if m:
            i = m.end()
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is None:
            op = next((o for o in _REDIRECTS if text.startswith(o, i)), None)
            if op is not None:
                if out and out[-1][0] == "w" and i > 0 and text[i - 1] not in " \t":
                    return None  # `2>x`, `a>b`: a file-descriptor number or a glued word
                out.append(("r", op))
                i += len(op)
                if i < n and text[i] in "&|(<>":
                    return None  # >& >| >( <( <> <<
                continue
            j = _word(text, i)
            if j == i:
                return None
            out.append(("w", text[i:j]))
            i = j
            continue
        if text.startswith(op + op[-1], i) or (op == "|" and text.startswith("|&", i)):
            return None  # ;; ||| &&& |&
        out.append(("op", op))
        i += len(op)
    return out


def parse_simple(text: str) -> Parsed | None:
    """The parsed form of a plain command line, or ``None`` when the full parser is needed."""
    tokens = _tokens(text)
    if not tokens:
        return None
    out = Parsed()
    stages: list[list[SimpleCommand]] = []
    cmd = SimpleCommand()
    redirect: str | None = None
    for i, (kind, tok) in enumerate(tokens):
        if kind == "w":
            dq = dequote(tok)
            if dq is None or dq[1]:
                return None
            if redirect is not None:
                cmd.redirects.append(Redirect(redirect, Word(dq[0])))
                redirect = None
                continue
            if not cmd.words and (tok in _RESERVED or "=" in tok.split("'", 1)[0].split('"', 1)[0]):
                return None  # a keyword, or an assignment in command position
            cmd.words.append(Word(dq[0]))
        elif kind == "r":
            if redirect is not None:
                return None
            redirect = tok
        else:
            if redirect is not None or not cmd.words:
                return None  # `a > && b`, `&& b`, `a | | b`, a redirect-only command
            stages.append([cmd])
            cmd = SimpleCommand()
            if tok != "|":
                out.units.append(Pipeline(stages))
                stages = []
            elif i == len(tokens) - 1:
                return None  # a trailing pipe
    if redirect is not None:
        return None
    if cmd.words:
        stages.append([cmd])
    elif stages or tokens[-1] != ("op", ";"):
        return None  # a trailing `&&`, `||` or `|`
    if stages:
        out.units.append(Pipeline(stages))
    return out
