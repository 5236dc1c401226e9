from __future__ import annotations

from typing import Any


def test_lists_items(get: Any) -> None:
    status, body = get("/items")
    assert status == "200 OK"
    assert body[0]["name"] == "lamp"


def test_unknown_item_is_404(get: Any) -> None:
    status, _ = get("/items/99")
    assert status.startswith("404")
