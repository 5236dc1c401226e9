"""The npm tarballs the tests use (tests/data/npm.txt), downloaded once by `make install` into
.cache/npm: checked against their pinned sha512 integrity, and served by a local registry
stand-in with npm's tarball layout (``/<name>/-/<name>-<version>.tgz``) and each package's
document at ``/<name>/``, so that ``npm ci`` (or pnpm's frozen install) with ``--registry``
pointing at it installs a lock written for registry.npmjs.org.

    python -m tests.support.npm_cache verify DIR tests/data/npm.txt
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.registry import serve_dir

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "tests" / "data" / "npm.txt"
CACHE = ROOT / ".cache" / "npm"


def pins(path: Path = PINS) -> dict[str, tuple[str, str]]:
    """name -> (version, integrity)."""
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            spec, integrity = line.split()
            name, _, version = spec.rpartition("@")
            out[name] = (version, integrity)
    return out


def tarball(name: str, version: str, where: Path = CACHE) -> Path:
    return where / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def verify(where: Path, pinned: Path) -> list[str]:
    """What does not match its pin (missing, or another integrity)."""
    problems = []
    for name, (version, expected) in pins(pinned).items():
        path = tarball(name, version, where)
        if not path.exists():
            problems.append(f"{path} is missing")
        elif integrity(path) != expected:
            problems.append(f"{path}: integrity {integrity(path)} is not the pinned {expected}")
    return problems


def _manifest(path: Path) -> dict[str, object]:
    """The package.json inside an npm tarball (its bin, engines and dependencies)."""
    with tarfile.open(path) as tar:
        member = next(
            m
            for m in tar.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/package.json")
        )
        data = tar.extractfile(member)
        assert data is not None
        return dict(json.loads(data.read()))


@contextmanager
def npm_registry(root: Path) -> Iterator[str]:
    """A local registry stand-in over HTTP serving the pinned tarballs; yields its URL."""
    problems = verify(CACHE, PINS)
    if problems:
        raise RuntimeError(f"{problems[0]}: run `make install`")
    with serve_dir(root, "localhost") as port:
        url = f"http://localhost:{port}/"
        for name, (version, sri) in pins().items():
            place = root / name / "-"
            place.mkdir(parents=True, exist_ok=True)
            file = f"{name.rsplit('/', 1)[-1]}-{version}.tgz"
            shutil.copy(tarball(name, version), place / file)
            # the package's document (what `npm exec --package=name@version` resolves), served
            # where a directory's page is: npm reads the body as JSON
            dist = {"tarball": f"{url}{name}/-/{file}", "integrity": sri}
            manifest = {**_manifest(place / file), "name": name, "version": version, "dist": dist}
            doc = {"name": name, "dist-tags": {"latest": version}, "versions": {version: manifest}}
            (root / name / "index.html").write_text(json.dumps(doc))
        yield url


def main(argv: list[str]) -> int:
    if argv[:1] != ["verify"] or len(argv) != 3:
        print("usage: python -m tests.support.npm_cache verify DIR PINS", file=sys.stderr)
        return 2
    problems = verify(Path(argv[1]), Path(argv[2]))
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
