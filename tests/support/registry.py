"""A local package index (PEP 503 "simple" layout over HTTP) serving one hand-built wheel, and
plain HTTP listeners, for tests of the prepare phase's egress (no outside host is contacted)."""

from __future__ import annotations

import base64
import hashlib
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def build_wheel(where: Path, name: str, version: str, value: str) -> Path:
    """A pure-Python wheel whose package holds ``VALUE = value``."""
    files = {
        f"{name}/__init__.py": f"VALUE = {value!r}\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: devforge-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{name}-{version}.dist-info/RECORD,,")
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = where / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_dir(root: Path, host: str) -> Iterator[int]:
    """Serve ``root`` over HTTP on ``host`` (a free port, yielded) in a thread."""
    server = ThreadingHTTPServer((host, 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def package_index(where: Path, name: str, version: str, value: str) -> Iterator[str]:
    """A simple index on 127.0.0.1 serving one wheel; yields its URL as ``http://localhost:P``
    (the proxy allowlists host names, and this one is ``localhost``)."""
    files = where / "files"
    files.mkdir(parents=True)
    wheel = build_wheel(files, name, version, value)
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = where / "simple" / name
    page.mkdir(parents=True)
    link = f'<a href="../../files/{wheel.name}#sha256={sha}">{wheel.name}</a>'
    (page / "index.html").write_text(f"<!DOCTYPE html><html><body>{link}</body></html>\n")
    with serve_dir(where, "127.0.0.1") as port:
        yield f"http://localhost:{port}/simple"
