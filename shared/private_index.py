"""A tenant's private package index, with credentials the sandbox never sees.

The operator lists each tenant's index in a TOML file (``DEVFORGE_PRIVATE_INDEXES``, e.g. a
mounted secret)::

    [tenants.acme]
    url = "https://pypi.acme.example/simple"
    username = "ci"
    password = "..."          # or: token = "..." (sent as a bearer token)

A repository of that tenant may then name that index (``--index-url`` / ``--extra-index-url``
with exactly this URL) in its requirement files; any other index stays refused. The build never
gets the URL's credentials: it reaches the index at ``http://127.0.0.1:<port>`` inside its
sandbox, a socket to a forwarder outside it that adds the ``Authorization`` header, fetches from
the index itself (not through the allowlisting proxy: the operator chose this host) and
rewrites the index's absolute links to come back through the forwarder.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import tomllib
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

INNER_PORT = 3129  # where the build sees the index, on its sandbox's own loopback
MAX_RESPONSE = 256 * 1024 * 1024  # bytes of one file fetched from the index
_HEAD_LIMIT = 64 * 1024


class PrivateIndexError(ValueError):
    """The private index file is unreadable or names something unusable."""


@dataclass(frozen=True)
class PrivateIndex:
    url: str  # as repositories name it, without credentials
    authorization: str  # the header's value

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def inner_url(self) -> str:
        """The URL the build uses for it: the forwarder, the same path."""
        return f"http://127.0.0.1:{INNER_PORT}{urlsplit(self.url).path}"


def same_index(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def load(path: Path | None, tenant: str) -> PrivateIndex | None:
    """The tenant's private index from the operator's file (None: the tenant has none)."""
    if path is None or not str(path):
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PrivateIndexError(f"private indexes file {path}: {exc}") from None
    entry = data.get("tenants", {}).get(tenant)
    if entry is None:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        raise PrivateIndexError(f"private indexes file: tenants.{tenant} needs a url")
    url = entry["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise PrivateIndexError(
            f"private indexes file: tenants.{tenant}.url must be http(s) without credentials"
        )
    if isinstance(entry.get("token"), str):
        return PrivateIndex(url, f"Bearer {entry['token']}")
    user, password = entry.get("username"), entry.get("password")
    if not isinstance(user, str) or not isinstance(password, str):
        raise PrivateIndexError(
            f"private indexes file: tenants.{tenant} needs username and password, or a token"
        )
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    return PrivateIndex(url, f"Basic {basic}")


def _fetch(index: PrivateIndex, path: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of ``path`` on the index's host, with its credentials."""
    request = urllib.request.Request(
        index.origin + path, headers={"Authorization": index.authorization}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read(MAX_RESPONSE + 1)
            kind = response.headers.get("Content-Type", "application/octet-stream")
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code, "text/plain", f"private index: {exc.code} {exc.reason}\n".encode()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return 502, "text/plain", f"private index unreachable: {exc}\n".encode()
    if len(body) > MAX_RESPONSE:
        return 502, "text/plain", b"private index: response too large\n"
    if kind.startswith(("text/", "application/vnd.pypi.simple", "application/json")):
        inner = f"http://127.0.0.1:{INNER_PORT}".encode()
        body = body.replace(index.origin.encode(), inner)
    return status, kind, body


async def _serve(
    index: PrivateIndex, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    method, _, rest = line.partition(" ")
    path = rest.rsplit(" ", 1)[0]
    if method not in ("GET", "HEAD") or not path.startswith("/") or len(head) > _HEAD_LIMIT:
        status, kind, body = 405, "text/plain", b"only GET and HEAD\n"
    else:
        status, kind, body = await asyncio.to_thread(_fetch, index, path)
    writer.write(
        f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    if method != "HEAD":
        writer.write(body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def forwarder(index: PrivateIndex, sock: Path) -> AsyncIterator[Path]:
    """The forwarder listening on the unix socket ``sock`` while the context lasts."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _serve(index, reader, writer)

    server = await asyncio.start_unix_server(handle, path=str(sock), limit=_HEAD_LIMIT)
    await asyncio.to_thread(sock.chmod, 0o777)  # the sandbox's user connects to it
    try:
        yield sock
    finally:
        server.close()
        await server.wait_closed()
