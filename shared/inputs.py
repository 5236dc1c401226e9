"""Text no entry accepts: the gateway refuses it before any handler sees it, the bus decoder
dead-letters a message holding it on its first delivery, and a message model refuses to be
built with it. Pure.

PostgreSQL cannot store a NUL character; UTF-8 cannot carry a lone surrogate (so neither the
bus nor the database can take one); NaN, Infinity and endless numbers are not JSON other
readers accept (and Python stops reading integers past a few thousand digits). Each used to get
as far as a query or a publish and come back as a 500, or fail a job later. Here each is named
with where it was: ``query parameter 'q'``, ``body.title``, ``body.items[2]``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

_BAD = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64  # nesting of a JSON body


class _Odd:
    """A value JSON readers do not accept, kept in place so its path can be named."""

    def __init__(self, what: str) -> None:
        self.what = what


def text_problem(value: str) -> str | None:
    m = _BAD.search(value)
    if m is None:
        return None
    return "a NUL character" if m.group() == "\x00" else "a lone surrogate"


def storable(text: str) -> str:
    """``text`` that every store and peer can hold: NUL shown as U+2400, a lone surrogate as
    U+FFFD (for output the platform publishes itself: a tool's, a model's)."""
    if _BAD.search(text) is None:
        return text
    return _BAD.sub(lambda m: "\u2400" if m.group() == "\x00" else "\ufffd", text)


def query_problem(params: Iterable[tuple[str, str]]) -> str | None:
    """What is wrong with a request's query parameters, or None."""
    for name, value in params:
        for part, what in ((name, "name"), (value, "value")):
            found = text_problem(part)
            if found is not None:
                shown = name if what == "value" else name.encode("utf-8", "replace").decode()
                return f"query parameter {shown!r} holds {found}"
    return None


def _constant(name: str) -> _Odd:
    return _Odd(f"{name} (not a JSON number)")


def _float(text: str) -> float | _Odd:
    value = float(text)
    return _Odd(f"a number too large to represent ({text[:20]})") if math.isinf(value) else value


class NotJson(ValueError):
    """The bytes are not JSON at all (the caller's own validation names that)."""


def parse(raw: bytes | str) -> tuple[Any, str | None]:
    """(the JSON value, what is wrong with it or None); ``NotJson`` when it is not JSON."""
    try:
        data = json.loads(raw, parse_constant=_constant, parse_float=_float)
    except RecursionError:
        return None, "body nests too deeply"
    except ValueError as exc:
        if "digits" in str(exc):  # Python's limit on integer digits
            return None, "body holds a number with too many digits"
        raise NotJson(str(exc)) from None
    return data, problem(data)


def problem(value: Any, where: str = "body") -> str | None:
    """What is wrong with an already parsed value (NUL, lone surrogates, NaN ...), or None."""
    return _walk(value, where, 0)


def body_problem(raw: bytes) -> str | None:
    """What is wrong with a JSON body's values, or None (also for a body that is not JSON at
    all: the route's own validation answers that)."""
    try:
        return parse(raw)[1]
    except NotJson:
        return None


def _walk(value: Any, where: str, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return f"{where} nests deeper than {MAX_DEPTH} levels"
    if isinstance(value, _Odd):
        return f"{where} holds {value.what}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where} holds {value} (not a JSON number)"
    if isinstance(value, str):
        found = text_problem(value)
        return None if found is None else f"{where} holds {found}"
    if isinstance(value, dict):
        for key, item in value.items():
            found = text_problem(key)
            if found is not None:
                return f"a key of {where} holds {found}"
            problem = _walk(item, f"{where}.{key}", depth + 1)
            if problem is not None:
                return problem
    if isinstance(value, list):
        for n, item in enumerate(value):
            problem = _walk(item, f"{where}[{n}]", depth + 1)
            if problem is not None:
                return problem
    return None
