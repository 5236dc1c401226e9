"""What a Node repository declares: package.json and its lock, refused where it names its own
source of packages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.envspec import PrepareError
from shared.envspec_node import node_declared


def _reader(files: dict[str, Any]) -> Any:
    texts = {k: v if isinstance(v, str) else json.dumps(v) for k, v in files.items()}
    return texts.get


LOCK = {
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "x"},
        "node_modules/tape": {
            "version": "1.1.2",
            "resolved": "https://registry.npmjs.org/tape/-/tape-1.1.2.tgz",
            "integrity": "sha512-x",
        },
    },
}


def test_a_lock_is_installed_exactly_and_keys_the_environment() -> None:
    manifest = {"name": "x", "devDependencies": {"tape": "~1.1.0"}}
    d = node_declared(_reader({"package.json": manifest, "package-lock.json": LOCK}))
    assert d is not None and d.needed and d.lock == "package-lock.json"
    assert d.describe() == "package.json (npm ci from package-lock.json)"
    other = node_declared(
        _reader({"package.json": manifest, "package-lock.json": {**LOCK, "x": 1}})
    )
    assert other is not None and other.key("v20") != d.key("v20") != d.key("v22")
    bare = node_declared(_reader({"package.json": manifest}))
    assert bare is not None and bare.describe() == "package.json (npm install (no lock file))"


def test_no_package_json_no_dependencies() -> None:
    assert node_declared(_reader({})) is None
    empty = node_declared(_reader({"package.json": {"name": "x", "scripts": {"test": "node t"}}}))
    assert empty is not None and not empty.needed


@pytest.mark.parametrize(
    "spec",
    [
        "git+https://example.com/evil.git",
        "github:someone/thing",
        "someone/thing#main",
        "file:../outside",
        "https://example.com/t.tgz",
        "link:./vendor/x",
    ],
)
def test_a_dependency_from_anywhere_but_the_registry_is_refused(spec: str) -> None:
    with pytest.raises(PrepareError, match=r"package.json devDependencies: tape .* refused"):
        node_declared(_reader({"package.json": {"devDependencies": {"tape": spec}}}))


def test_versions_ranges_and_aliases_are_fine() -> None:
    deps = {"a": "^1.2.0", "b": ">=1 <2", "c": "npm:d@^3", "e": "latest", "@s/f": "1.x"}
    d = node_declared(_reader({"package.json": {"dependencies": deps}}))
    assert d is not None and d.dependencies == 5


def test_a_lock_resolving_from_another_host_is_refused() -> None:
    lock = json.loads(json.dumps(LOCK))
    lock["packages"]["node_modules/tape"]["resolved"] = "https://evil.example/tape-1.1.2.tgz"
    files = {"package.json": {"devDependencies": {"tape": "~1.1.0"}}, "package-lock.json": lock}
    with pytest.raises(PrepareError, match=r"evil\.example.*only the platform's registry"):
        node_declared(_reader(files))
    # the platform's own registry is allowed
    assert node_declared(_reader(files), "evil.example") is not None


def test_malformed_files_are_named() -> None:
    with pytest.raises(PrepareError, match=r"package\.json: not valid JSON"):
        node_declared(_reader({"package.json": "{"}))
    with pytest.raises(PrepareError, match=r"package-lock\.json: not a JSON object"):
        node_declared(_reader({"package.json": {}, "package-lock.json": "[]"}))


PNPM = """\
lockfileVersion: '9.0'
importers:
  .:
    devDependencies:
      tape:
        specifier: ~1.1.0
        version: 1.1.2
packages:
  tape@1.1.2:
    resolution: {integrity: sha512-x}
"""
MANIFEST = {"name": "x", "devDependencies": {"tape": "~1.1.0"}}


def test_a_pnpm_lock_is_installed_frozen_by_the_pnpm_that_reads_it() -> None:
    d = node_declared(_reader({"package.json": MANIFEST, "pnpm-lock.yaml": PNPM}))
    assert d is not None and d.lock == "pnpm-lock.yaml" and d.pnpm == "9.15.9"
    assert "pnpm 9.15.9 install --frozen-lockfile from pnpm-lock.yaml" in d.describe()
    assert "pnpm-lock.yaml" in d.contents  # the environment is keyed by it
    npm_lock = {"package.json": MANIFEST, "pnpm-lock.yaml": PNPM, "package-lock.json": LOCK}
    assert node_declared(_reader(npm_lock)).pnpm is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lock", "problem"),
    [
        (PNPM.replace("'9.0'", "'5.4'"), "lockfileVersion '5.4' is not supported"),
        (
            PNPM + "  evil@1.0.0:\n    resolution: {tarball: https://evil.example/e.tgz}\n",
            "evil@1.0.0 is resolved from 'https://evil.example/e.tgz'",
        ),
        (
            PNPM + "  g@1.0.0:\n    resolution: {type: git, repo: https://x/g, commit: abc}\n",
            "g@1.0.0 is not from the registry",
        ),
        (PNPM.replace("version: 1.1.2", "version: link:../tape"), ". tape is 'link:../tape'"),
        ("lockfileVersion: [", "not valid YAML"),
    ],
)
def test_a_pnpm_lock_naming_another_source_is_refused(lock: str, problem: str) -> None:
    with pytest.raises(PrepareError, match=r"pnpm-lock\.yaml: ") as err:
        node_declared(_reader({"package.json": MANIFEST, "pnpm-lock.yaml": lock}))
    assert problem in str(err.value), err.value
