"""Words for the full-text index and queries. Pure.

Code names are split into words (``parseTimeDelta`` and ``parse_time_delta`` both give
``parse time delta``) so a description in plain words meets the code that does it.
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_WORD = re.compile(r"[a-z0-9]+")


def split_identifier(name: str) -> list[str]:
    return [w.lower() for part in name.split("_") for w in _CAMEL.findall(part)]


def terms(text: str) -> str:
    """The text with every identifier followed by its words (what the tsvector is built on)."""
    out: list[str] = []
    for m in _IDENT.finditer(text):
        ident = m.group(0)
        words = split_identifier(ident)
        out.append(ident.lower())
        if len(words) > 1:
            out.extend(words)
    return " ".join(out)


def or_query(query: str) -> str | None:
    """A ``to_tsquery`` expression matching any word of the query (None: no words at all).

    Only ``[a-z0-9]`` words reach PostgreSQL, so nothing in the query can be tsquery syntax.
    """
    words: list[str] = []
    for w in _WORD.findall(" ".join(split_identifier(query)) + " " + query.lower()):
        if w not in words:
            words.append(w)
    return " | ".join(words) if words else None
