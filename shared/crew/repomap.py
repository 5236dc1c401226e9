"""A compact map of a repository for an agent's prompt: which files matter and what they define.

The idea (after Aider's repo map): every source file is parsed with tree-sitter; its
*definitions* (classes, functions, methods, types, with the line they start on) and its
*references* (the identifiers it uses) are collected. The files form a graph with an edge
A -> B whenever A uses a name that B defines, weighted by how often (square root, so one
chatty file does not dominate) and damped for names that say little: very short ones, ones
defined in many files. A personalised PageRank over that graph, pulled toward the files the
agent is working on (``focus_files``) and the files defining names from the task's text
(``terms``), scores every file: a file many relevant files lean on scores high, an isolated one
low. Test files are pushed down unless the focus or the terms point at them.

Each definition then gets a share of its file's score, the share of the graph's flow that came
in through its name, and the map lists the best definitions that fit ``budget_tokens``, grouped
by file (files by score, definitions by line, methods under their class)::

    src/client.py
      12: class Client:
      40:     def send(self, request):

The output holds nothing but paths, line numbers and (trimmed, single) definition lines.

Reading is defensive, since the worktree is untrusted: no symlink is followed (each directory is
opened relative to its parent with ``O_NOFOLLOW``), only regular files of a bounded size are
read, at most ``MAX_FILES`` of them, vendored and virtual-environment directories skipped.
Pure apart from reading files under ``root``: no network, no subprocess, no cache.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
import stat
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tree_sitter import Language, Node, Parser, Query, QueryCursor

from shared.index.languages import GRAMMARS, language, language_of, parser
from shared.models import tokens

MAX_FILE_BYTES = 256 * 1024
MAX_FILES = 3000  # source files read, in walk order
MAX_ENTRIES = 200_000  # directory entries looked at, source or not
MAX_SIGNATURE = 120
ITERATIONS = 20
DAMPING = 0.85
MIN_NAME = 3  # shorter names carry no edge
COMMON_DEFINERS = 5  # a name defined in more files than this is damped
TEST_DEMOTION = 0.1

LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx", "go", "java", "rust"})
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "build", "dist", "site-packages"})
_REF_KINDS = (
    "identifier",
    "type_identifier",
    "field_identifier",
    "property_identifier",
    "shorthand_property_identifier",
    "private_property_identifier",
)
_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_NOT_DEFINING = frozenset({"impl_item"})  # shown as a scope, but defines no name
_TEST_DIRS = frozenset({"test", "tests", "__tests__"})
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


# ---------------------------------------------------------------------------------------------
# Tags: definitions and references of one file


@dataclass(frozen=True)
class _Def:
    name: str
    line: int  # 1-based
    signature: str
    depth: int  # enclosing classes (and impls, modules, ...)
    parent: int | None  # index of the enclosing definition in the same file
    defines: bool  # False for a Rust ``impl``: a scope, not a name of its own


@dataclass
class _File:
    path: str
    defs: list[_Def] = field(default_factory=list)
    refs: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Queries:
    definitions: Query
    references: Query


def _language(lang: str) -> Language:
    return language(lang)


def _def_kinds(lang: str) -> list[str]:
    kinds = [k for k in GRAMMARS[lang].definitions if k != "decorated_definition"]
    if lang == "go":  # one tag per type, also inside ``type ( ... )`` groups
        kinds = [k for k in kinds if k != "type_declaration"] + ["type_spec", "type_alias"]
    return kinds


@cache
def _queries(lang: str) -> _Queries:
    language = _language(lang)
    defs = " ".join(f"({k})" for k in _def_kinds(lang))
    refs = " ".join(f"({k})" for k in _REF_KINDS if language.id_for_node_kind(k, True))
    return _Queries(Query(language, f"[{defs}] @def"), Query(language, f"[{refs}] @ref"))


def _tags(path: str, lang: str, text: str, own_parser: Parser) -> _File:
    """Definitions (outside function bodies) and referenced names of one file."""
    source = text.encode("utf-8", "replace")
    root = own_parser.parse(source).root_node
    lines = text.split("\n")  # tree-sitter rows count "\n" only
    containers = GRAMMARS[lang].containers
    queries = _queries(lang)
    out = _File(path)

    found = QueryCursor(queries.definitions).captures(root).get("def", [])
    found.sort(key=lambda n: (n.start_byte, -n.end_byte))
    accepted: dict[tuple[int, int, str], int] = {}
    skipped: set[tuple[int, int, str]] = set()
    name_starts: set[int] = set()
    for node in found:
        key = (node.start_byte, node.end_byte, node.type)
        if node.type == "variable_declarator":
            value = node.child_by_field_name("value")
            if value is None or value.type not in _FUNCTION_VALUES:
                continue
        parent, nested = _enclosing(node, accepted, skipped, containers)
        name_node = _name_node(node)
        if nested or name_node is None or name_node.text is None:
            skipped.add(key)
            continue
        row = node.start_point.row
        depth = 0 if parent is None else out.defs[parent].depth + 1
        name = name_node.text.decode("utf-8", "replace")
        signature = _signature(lines[row] if row < len(lines) else "")
        accepted[key] = len(out.defs)
        name_starts.add(name_node.start_byte)
        out.defs.append(
            _Def(name, row + 1, signature, depth, parent, node.type not in _NOT_DEFINING)
        )

    for node in QueryCursor(queries.references).captures(root).get("ref", []):
        if node.start_byte not in name_starts and node.text is not None:
            out.refs[node.text.decode("utf-8", "replace")] += 1
    return out


def _enclosing(
    node: Node,
    accepted: dict[tuple[int, int, str], int],
    skipped: set[tuple[int, int, str]],
    containers: frozenset[str],
) -> tuple[int | None, bool]:
    """The index of the definition enclosing ``node`` (``None`` at top level), and whether
    ``node`` is local to a function (or to something skipped), which leaves it off the map."""
    up = node.parent
    while up is not None:
        key = (up.start_byte, up.end_byte, up.type)
        if key in skipped:
            return None, True
        if key in accepted:
            return (accepted[key], False) if up.type in containers else (None, True)
        up = up.parent
    return None, False


def _name_node(node: Node) -> Node | None:
    named = node.child_by_field_name("name")
    if named is None and node.type == "impl_item":
        named = node.child_by_field_name("type")
    if named is None:
        for child in node.named_children:
            if child.type in ("identifier", "type_identifier"):
                return child
    return named


def _signature(line: str) -> str:
    """One definition line, stripped, control characters blanked, at most ~120 characters."""
    if not line.isprintable():
        line = "".join(ch if ch.isprintable() else " " for ch in line)
    clean = line.strip()
    if len(clean) > MAX_SIGNATURE:
        clean = clean[: MAX_SIGNATURE - 3].rstrip() + "..."
    return clean


# ---------------------------------------------------------------------------------------------
# Reading the tree, never through a link


def _source_files(root: Path) -> Iterator[tuple[str, str, str]]:
    """``(relative path, language, text)`` of the source files under ``root``, directories and
    names in sorted order, each directory opened relative to its parent without following
    links."""
    try:
        fd = os.open(root, _OPEN_DIR)
    except OSError:
        return
    counts = [0, 0]  # files read, entries seen
    try:
        yield from _walk(fd, "", counts)
    finally:
        os.close(fd)


def _walk(dir_fd: int, prefix: str, counts: list[int]) -> Iterator[tuple[str, str, str]]:
    try:
        with os.scandir(dir_fd) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        counts[1] += 1
        if counts[0] >= MAX_FILES or counts[1] > MAX_ENTRIES:
            return
        name = entry.name
        rel = f"{prefix}{name}"
        try:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if name.startswith(".") or name in SKIP_DIRS:
                    continue
                yield from _subdir(dir_fd, name, rel, counts)
                continue
            lang = language_of(name)
            if lang not in LANGUAGES or not rel.isprintable():
                continue
            text = _read(dir_fd, name)
        except OSError:
            continue
        if text is None:
            continue
        counts[0] += 1
        yield rel, lang, text


def _subdir(dir_fd: int, name: str, rel: str, counts: list[int]) -> Iterator[tuple[str, str, str]]:
    fd = os.open(name, _OPEN_DIR, dir_fd=dir_fd)
    try:
        try:
            os.lstat("pyvenv.cfg", dir_fd=fd)
            return  # a virtual environment, whatever its name
        except FileNotFoundError:
            pass
        yield from _walk(fd, f"{rel}/", counts)
    finally:
        os.close(fd)


def _read(dir_fd: int, name: str) -> str | None:
    """The text of a regular, small, non-binary file (``None`` otherwise)."""
    st = os.lstat(name, dir_fd=dir_fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
        return None
    fd = os.open(name, _OPEN_FILE, dir_fd=dir_fd)
    with open(fd, encoding="utf-8", errors="replace") as f:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            st.st_dev,
            st.st_ino,
        ):
            return None
        text = f.read(MAX_FILE_BYTES + 1)
    if len(text) > MAX_FILE_BYTES or "\x00" in text:
        return None
    return text


# ---------------------------------------------------------------------------------------------
# Terms: words of the task, matched against names


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


def _key(name: str) -> str:
    return "".join(_words(name))


@dataclass(frozen=True)
class _Terms:
    keys: frozenset[str]
    words: frozenset[str]

    @classmethod
    def of(cls, terms: Sequence[str]) -> _Terms:
        tokens_ = _TOKEN.findall(" ".join(terms))
        keys = {_key(t) for t in tokens_}
        words = {w for t in tokens_ for w in _words(t)}
        return cls(frozenset(k for k in keys if len(k) >= MIN_NAME), frozenset(words))

    def strength(self, name: str) -> float:
        """1 when a term is ``name`` (any case, snake or camel), 0.5 when the terms hold every
        word of a name of two or more words, else 0."""
        words = _words(name)
        key = "".join(words)
        if len(key) < MIN_NAME:
            return 0.0
        if key in self.keys:
            return 1.0
        if len(words) >= 2 and all(w in self.words for w in words):
            return 0.5
        return 0.0


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    stem = name.split(".", 1)[0]
    return (
        any(p in _TEST_DIRS for p in parts[:-1])
        or stem.startswith("test_")
        or stem.endswith("_test")
        or name == "conftest.py"
        or ".test." in name
        or ".spec." in name
    )


# ---------------------------------------------------------------------------------------------
# Ranking


@dataclass(frozen=True)
class _Edge:
    src: int
    dst: int
    name: str
    weight: float


def _edges(files: list[_File], strength: dict[str, float]) -> list[_Edge]:
    definers: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(files):
        for name in sorted({d.name for d in f.defs if d.defines}):
            definers[name].append(i)
    edges: list[_Edge] = []
    for src, f in enumerate(files):
        for name, n in sorted(f.refs.items()):
            targets = definers.get(name)
            if not targets or len(name) < MIN_NAME:
                continue
            weight = math.sqrt(n)
            if len(targets) > COMMON_DEFINERS:
                weight *= 0.1
            weight *= 1 + 9 * strength.get(name, 0.0)
            edges.extend(_Edge(src, dst, name, weight) for dst in targets if dst != src)
    return edges


def _pagerank(n: int, edges: list[_Edge], personal: list[float]) -> list[float]:
    """Power iteration of PageRank with teleport (and dangling mass) toward ``personal``."""
    out_weight = [0.0] * n
    pairs: dict[tuple[int, int], float] = defaultdict(float)
    for e in edges:
        out_weight[e.src] += e.weight
        pairs[e.src, e.dst] += e.weight
    links = [(src, dst, DAMPING * w / out_weight[src]) for (src, dst), w in pairs.items()]
    dangling_nodes = [i for i in range(n) if out_weight[i] == 0.0]
    rank = list(personal)
    for _ in range(ITERATIONS):
        dangling = sum(rank[i] for i in dangling_nodes)
        nxt = [(1 - DAMPING + DAMPING * dangling) * p for p in personal]
        for src, dst, w in links:
            nxt[dst] += rank[src] * w
        rank = nxt
    return rank


@dataclass(frozen=True)
class _Standing:
    tier: int  # 0: a focus file, 1: a term names it or one of its definitions, 2: the rest
    whole: bool  # every definition counts as asked for: a focus file, or named by a term
    rank: float  # its PageRank
    score: float  # the rank, lowered for a test file nothing points to


def repo_map(
    root: Path,
    *,
    focus_files: Sequence[str] = (),
    terms: Sequence[str] = (),
    budget_tokens: int = 1024,
) -> str:
    """The most relevant definitions under ``root``, grouped by file, within ``budget_tokens``
    (cl100k tokens, ``shared.models.tokens``); ``""`` when nothing parseable is found.

    ``focus_files``: repository-relative paths the agent works on (listed first);
    ``terms``: words of the task (names in any case, or whole sentences)."""
    if budget_tokens <= 0:
        return ""
    files = _parse_tree(Path(root))
    if not any(f.defs for f in files):
        return ""
    term_set = _Terms.of(terms)
    names = sorted({d.name for f in files for d in f.defs})
    strength = {n: s for n in names if (s := term_set.strength(n)) > 0}
    focus = {_normalise(p) for p in focus_files}
    edges = _edges(files, strength)
    standing = _standings(files, edges, focus, term_set, strength)
    order = _definition_order(files, edges, standing, strength)

    # the longest prefix of the order whose map fits (binary search on the exact count)
    lo, hi = 0, min(len(order), budget_tokens // 2 + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if tokens.count(_render(files, standing, order[:mid])) <= budget_tokens:
            lo = mid
        else:
            hi = mid - 1
    return _render(files, standing, order[:lo])


def _parse_tree(root: Path) -> list[_File]:
    files: list[_File] = []
    for rel, lang, text in _source_files(root):
        files.append(_tags(rel, lang, text, parser(lang)))  # this thread's own parser
    files.sort(key=lambda f: f.path)
    return files


def _standings(
    files: list[_File],
    edges: list[_Edge],
    focus: set[str],
    terms: _Terms,
    strength: dict[str, float],
) -> list[_Standing]:
    """Each file's tier and PageRank, personalised toward the focus and the terms."""
    n = len(files)
    tiers: list[int] = []
    whole: list[bool] = []
    pull: list[float] = []
    for f in files:
        by_path = _key(posixpath.splitext(posixpath.basename(f.path))[0]) in terms.keys
        named = max((strength.get(d.name, 0.0) for d in f.defs), default=0.0)
        exact = by_path or named >= 1.0
        tiers.append(0 if f.path in focus else 1 if exact else 2)
        whole.append(f.path in focus or by_path)
        pull.append((1.0 if f.path in focus else 0.0) + (1.0 if exact else named))
    total = sum(pull)
    # mostly toward what was asked for, a little toward everything (to order the rest too)
    personal = [0.85 * p / total + 0.15 / n for p in pull] if total > 0 else [1.0 / n] * n
    rank = _pagerank(n, edges, personal)
    return [
        _Standing(
            tiers[i],
            whole[i],
            rank[i],
            rank[i] * (TEST_DEMOTION if pull[i] == 0 and is_test_path(f.path) else 1.0),
        )
        for i, f in enumerate(files)
    ]


def _definition_order(
    files: list[_File],
    edges: list[_Edge],
    standing: list[_Standing],
    strength: dict[str, float],
) -> list[tuple[int, int]]:
    """``(file, definition)`` indexes, best first: the focus files' definitions and those the
    terms name, then the rest, each by its file's score times its share of the flow into the
    file (the share that came in through its name, plus an even part)."""
    out_weight = [0.0] * len(files)
    for e in edges:
        out_weight[e.src] += e.weight
    flow: dict[tuple[int, str], float] = defaultdict(float)
    for e in edges:
        flow[e.dst, e.name] += standing[e.src].rank * e.weight / out_weight[e.src]
    keyed: list[tuple[int, float, str, int, int, int]] = []
    for i, f in enumerate(files):
        inflow = sum(flow.get((i, d.name), 0.0) for d in f.defs)
        once: set[tuple[int | None, str]] = set()  # overloads, property setters: the first
        for j, d in enumerate(f.defs):
            if (d.parent, d.name) in once:
                continue
            once.add((d.parent, d.name))
            named = strength.get(d.name, 0.0)
            share = flow.get((i, d.name), 0.0) / inflow if inflow > 0 else 1.0 / len(f.defs)
            score = standing[i].score * (0.3 / len(f.defs) + 0.7 * share) * (1 + 2 * named)
            tier = 0 if standing[i].whole or named >= 1.0 else 1
            keyed.append((tier, -score, f.path, d.line, i, j))
    keyed.sort()
    return [(i, j) for *_, i, j in keyed]


def _render(files: list[_File], standing: list[_Standing], picks: list[tuple[int, int]]) -> str:
    """The picked definitions (with the classes around them) under their files' paths: files
    by tier and score, definitions by line."""
    chosen: dict[int, set[int]] = defaultdict(set)
    for i, j in picks:
        k: int | None = j
        while k is not None and k not in chosen[i]:
            chosen[i].add(k)
            k = files[i].defs[k].parent
    lines: list[str] = []
    for i in sorted(chosen, key=lambda i: (standing[i].tier, -standing[i].score, files[i].path)):
        lines.append(files[i].path)
        seen: set[int] = set()
        for d in sorted((files[i].defs[j] for j in chosen[i]), key=lambda d: d.line):
            if d.line not in seen:  # one line, one entry (``impl X { fn f() {} }``)
                seen.add(d.line)
                lines.append(f"  {d.line}: {'    ' * d.depth}{d.signature}")
    return "\n".join(lines) + "\n" if lines else ""


def _normalise(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return posixpath.normpath(path) if path else path
