"""A local stand-in for one Pinecone serverless index, speaking the data-plane HTTP protocol the
official SDK uses (checked by running the SDK against it). It is strict: a wrong key, a missing
API-version header, an unknown endpoint or an unknown field is refused the way Pinecone refuses
it, so an adapter that drifts from the SDK's requests fails here."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSION = "2026-07"  # what pinecone 10.x sends as X-Pinecone-Api-Version

FIELDS: dict[str, tuple[set[str], set[str]]] = {  # endpoint -> (allowed, required)
    "/vectors/upsert": ({"vectors", "namespace"}, {"vectors"}),
    "/query": (
        {"topK", "includeValues", "includeMetadata", "namespace", "vector", "filter", "id"},
        {"topK"},
    ),
    "/vectors/delete": ({"ids", "namespace", "deleteAll", "filter"}, set()),
    "/describe_index_stats": ({"filter"}, set()),
}
VECTOR_FIELDS = {"id", "values", "metadata", "sparseValues"}


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Index:
    api_key: str
    dimension: int | None = None
    namespaces: dict[str, dict[str, tuple[list[float], dict[str, Any]]]] = field(
        default_factory=dict
    )
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: Any, raw: bytes) -> dict[str, Any]:
        if headers.get("Api-Key") != self.api_key:
            raise Refused(401, "Invalid API Key")
        if headers.get("X-Pinecone-Api-Version") != API_VERSION:
            raise Refused(400, f"unsupported API version {headers.get('X-Pinecone-Api-Version')}")
        if path not in FIELDS:
            raise Refused(404, f"no such endpoint {path}")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise Refused(400, "body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused(400, "body must be an object")
        allowed, required = FIELDS[path]
        if set(body) - allowed:
            raise Refused(400, f"unknown field(s) {sorted(set(body) - allowed)}")
        if required - set(body):
            raise Refused(400, f"missing field(s) {sorted(required - set(body))}")
        with self.lock:
            self.requests.append((path, body))
            return getattr(self, path.strip("/").replace("/", "_"))(body)

    def _ns(self, body: dict[str, Any]) -> dict[str, tuple[list[float], dict[str, Any]]]:
        return self.namespaces.setdefault(str(body.get("namespace", "")), {})

    def vectors_upsert(self, body: dict[str, Any]) -> dict[str, Any]:
        ns = self._ns(body)
        for v in body["vectors"]:
            if set(v) - VECTOR_FIELDS or not {"id", "values"} <= set(v):
                raise Refused(400, f"bad vector fields {sorted(v)}")
            self.dimension = self.dimension or len(v["values"])
            if len(v["values"]) != self.dimension:
                raise Refused(
                    400, f"Vector dimension {len(v['values'])} does not match {self.dimension}"
                )
            ns[v["id"]] = ([float(x) for x in v["values"]], dict(v.get("metadata") or {}))
        return {"upsertedCount": len(body["vectors"])}

    def query(self, body: dict[str, Any]) -> dict[str, Any]:
        vec = body.get("vector")
        if not isinstance(vec, list) or len(vec) != self.dimension:
            raise Refused(400, "query vector missing or of the wrong dimension")
        ns = self._ns(body)
        flt = body.get("filter") or {}
        scored = [
            {"id": vid, "score": _cosine(vec, values)}
            for vid, (values, meta) in ns.items()
            if _matches(meta, flt)
        ]
        scored.sort(key=lambda m: (-m["score"], m["id"]))
        return {
            "matches": scored[: int(body["topK"])],
            "namespace": str(body.get("namespace", "")),
            "usage": {"readUnits": 1},
        }

    def vectors_delete(self, body: dict[str, Any]) -> dict[str, Any]:
        ns = self._ns(body)
        if body.get("deleteAll"):
            ns.clear()
        for vid in body.get("ids") or []:
            ns.pop(vid, None)
        return {}

    def describe_index_stats(self, body: dict[str, Any]) -> dict[str, Any]:
        spaces = {name: {"vectorCount": len(v)} for name, v in self.namespaces.items() if v}
        return {
            "namespaces": spaces,
            "dimension": self.dimension or 0,
            "indexFullness": 0.0,
            "totalVectorCount": sum(s["vectorCount"] for s in spaces.values()),
        }


def _cosine(a: list[float], b: list[float]) -> float:
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(x * x for x in b)) or 1.0
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def _matches(meta: dict[str, Any], flt: dict[str, Any]) -> bool:
    for key, cond in flt.items():
        want = cond.get("$eq") if isinstance(cond, dict) else cond
        if isinstance(cond, dict) and set(cond) - {"$eq"}:
            raise Refused(400, f"unsupported filter operator in {cond}")
        if meta.get(key) != want:
            return False
    return True


@contextmanager
def serve(api_key: str = "pc-test-key") -> Iterator[tuple[str, Index]]:
    """Run the stand-in on a free loopback port: yields (host URL, index)."""
    index = Index(api_key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                status, out = 200, index.handle(self.path, self.headers, raw)
            except Refused as exc:
                status, out = exc.status, {"code": 3, "message": str(exc)}
            data = json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", index
    finally:
        server.shutdown()
        server.server_close()
