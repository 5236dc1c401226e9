"""A small inventory web service (WSGI, standard library only)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

VERSION = "1.4.0"
ITEMS: dict[int, dict[str, Any]] = {1: {"id": 1, "name": "lamp", "stock": 3}}

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _json(start: StartResponse, status: str, body: Any) -> Iterable[bytes]:
    start(status, [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    if path == "/items":
        return _json(start, "200 OK", sorted(ITEMS.values(), key=lambda i: i["id"]))
    if path.startswith("/items/"):
        item = ITEMS.get(int(path.rsplit("/", 1)[1]))
        if item is None:
            return _json(start, "404 Not Found", {"error": "no such item"})
        return _json(start, "200 OK", item)
    return _json(start, "404 Not Found", {"error": "not found"})
