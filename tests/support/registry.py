"""A local package index (PEP 503 "simple" layout over HTTP) serving one hand-built wheel, and
plain HTTP listeners, for tests of the prepare phase's egress (no outside host is contacted)."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import threading
import zipfile
from collections.abc import Iterator, Sequence
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


WHEELHOUSE = Path(__file__).resolve().parents[2] / ".cache" / "wheelhouse"


def _project(wheel: Path) -> str:
    return re.sub(r"[-_.]+", "-", wheel.name.split("-", 1)[0]).lower()


def _index_pages(where: Path, wheels: list[Path]) -> None:
    """PEP 503 pages, one per project, linking to the wheels (copied under ``files``)."""
    files = where / "files"
    files.mkdir(parents=True, exist_ok=True)
    by_project: dict[str, list[Path]] = {}
    for wheel in wheels:
        if wheel.parent != files:
            shutil.copy2(wheel, files / wheel.name)
        by_project.setdefault(_project(wheel), []).append(files / wheel.name)
    for project, found in by_project.items():
        page = where / "simple" / project
        page.mkdir(parents=True, exist_ok=True)
        links = "".join(
            f'<a href="../../files/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
            f"{w.name}</a>\n"
            for w in found
        )
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>{links}</body></html>\n")


@contextmanager
def local_index(where: Path, wheels: Sequence[Path] = ()) -> Iterator[str]:
    """A simple index on 127.0.0.1 serving ``wheels`` and the test tools of the wheelhouse that
    `make install` fills; yields its URL as ``http://localhost:P`` (the proxy allowlists host
    names, and this one is ``localhost``)."""
    house = sorted(WHEELHOUSE.glob("*.whl"))
    if not house:
        raise RuntimeError(f"no wheels in {WHEELHOUSE}: run `make install`")
    _index_pages(where, [*house, *wheels])
    with serve_dir(where, "127.0.0.1") as port:
        yield f"http://localhost:{port}/simple"


@contextmanager
def package_index(where: Path, name: str, version: str, value: str) -> Iterator[str]:
    """``local_index`` with one hand-built wheel whose package holds ``VALUE = value``."""
    (where / "built").mkdir(parents=True)
    with local_index(where, [build_wheel(where / "built", name, version, value)]) as url:
        yield url
