"""GitHub's published OpenAPI description (npm ``@octokit/openapi``), installed on first use,
and what the GitHub stand-in does with it: validate every request it receives and every
response it sends (openapi-core), and build each response's skeleton from the response schema
so that no field GitHub promises is missing (the stand-in then sets the fields that matter)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.app import Config
from openapi_core.testing import MockRequest, MockResponse

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "tests" / "github"
SPEC = PACKAGE_DIR / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
HOST = "https://api.github.com"  # the description's server; the stand-in's own URL differs
NOW = "2026-11-24T00:00:00Z"


def _npm_install() -> None:
    if SPEC.is_file():
        return
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed for GitHub's OpenAPI description (apt-get install npm)"
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent"],
        cwd=PACKAGE_DIR,
        check=True,
        timeout=600,
    )


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    _npm_install()
    loaded: dict[str, Any] = json.loads(SPEC.read_text())
    return loaded


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    # The description is GitHub's own and large: it is not re-validated as a document here.
    return OpenAPI.from_dict(spec(), config=Config(spec_validator_cls=None))  # type: ignore[arg-type]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    resp = resolve(spec()["paths"][path][method]["responses"][str(status)])
    return resolve(resp["content"]["application/json"]["schema"])


def skeleton(schema: dict[str, Any], depth: int = 0) -> Any:
    """A value with every required field the schema names (nullable fields as null)."""
    schema = resolve(schema)
    if depth > 12:
        return None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = skeleton(part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return skeleton(schema[key][0], depth + 1)
    if schema.get("nullable") and depth > 0:
        return None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: skeleton(props.get(k, {}), depth + 1) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "string":
        if "enum" in schema:
            return schema["enum"][0]
        fmt = schema.get("format")
        return {
            "date-time": NOW,
            "uri": "https://example.invalid/",
            "email": "x@example.invalid",
        }.get(fmt or "", "x")
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    return None


def overlay(base: Any, top: Any) -> Any:
    """``top`` laid over ``base``, key by key for objects."""
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for k, v in top.items():
            out[k] = overlay(base.get(k), v)
        return out
    return top


def check_request(
    method: str, path: str, query: dict[str, str], body: bytes, content_type: str | None
) -> None:
    """Raise when the request does not match GitHub's description of that operation."""
    req = MockRequest(
        HOST,
        method.lower(),
        path,
        args=query,
        data=body or None,
        content_type=content_type or "application/json",
    )
    openapi().validate_request(req)


def check_response(method: str, path: str, query: dict[str, str], status: int, body: bytes) -> None:
    req = MockRequest(HOST, method.lower(), path, args=query)
    resp = MockResponse(body, status_code=status, content_type="application/json")
    openapi().validate_response(req, resp)
