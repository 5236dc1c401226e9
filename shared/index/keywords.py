"""Words for the keyword (BM25) leg of code search, and which paths hold tests. Pure.

Code names are split into their words (``parseTimeDelta`` and ``parse_time_delta`` both give
``parse time delta``; a name of several words is kept whole too), words are reduced by a light
suffix stemmer (``parsing``, ``parsed`` and ``parses`` meet ``parse``), and a query drops the
English words that carry no meaning for code. Measured against PostgreSQL's ``english`` full
text on the same chunks in bench/search_quality: see docs/benchmarks.md.
"""

from __future__ import annotations

import re
from collections import Counter

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
MAX_TERM = 64  # a longer "word" is data, not a name
_STOP = """a an the of to in on for and or is are be by with from that this it as at into how
where what which when does do i my we you your its their there while can get set"""
STOPWORDS = frozenset(_STOP.split())
_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs"})
_TEST_FILE = re.compile(r"^(?:test_.*|.*_tests?\.py|conftest\.py|.*\.(?:test|spec)\.[jt]sx?)$")
_ASKS_TESTS = re.compile(r"\b(?:tests?|tested|testing|unit ?tests?|fixtures?)\b", re.IGNORECASE)


def split_identifier(name: str) -> list[str]:
    return [w.lower() for part in name.split("_") for w in _CAMEL.findall(part)]


def stem(word: str) -> str:
    """A light suffix stemmer: plurals, -ed, -ing and a final e (``parse``, ``parses``,
    ``parsed`` and ``parsing`` all give ``pars``; ``class`` keeps its s)."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif (len(word) > 4 and word.endswith("es") and word[-3] in "sxz") or word.endswith(
        ("ches", "shes")
    ):
        word = word[:-2]
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Every identifier of ``text`` as its stemmed words (and whole, when it has several)."""
    out: list[str] = []
    for m in _IDENT.finditer(text):
        ident = m.group(0)
        words = split_identifier(ident)
        if len(words) > 1:
            out.append(ident.lower())
        out += [stem(w) for w in words]
    return [t for t in out if len(t) <= MAX_TERM]


def term_counts(head: str, body: str) -> Counter[str]:
    """A chunk's terms with their frequencies: where it is (path and symbol), then its code."""
    return Counter(tokens(head) + tokens(body))


def query_terms(query: str) -> list[str]:
    """The query's terms, once each, without the words that say nothing about code."""
    return list(dict.fromkeys(t for t in tokens(query) if t not in STOPWORDS))


def is_test_path(path: str) -> bool:
    """A test file: under a test directory, or named as one (``test_x.py``, ``x.spec.ts``)."""
    parts = path.split("/")
    return any(p in _TEST_DIRS for p in parts[:-1]) or _TEST_FILE.match(parts[-1]) is not None


def asks_for_tests(query: str) -> bool:
    return _ASKS_TESTS.search(query) is not None
