from __future__ import annotations

import json
from typing import Any

import pytest

from shop import app


@pytest.fixture
def get() -> Any:
    def call(path: str) -> tuple[str, Any]:
        seen: dict[str, str] = {}

        def start(status: str, headers: list[tuple[str, str]]) -> None:
            seen["status"] = status

        body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start))
        return seen["status"], json.loads(body)

    return call
