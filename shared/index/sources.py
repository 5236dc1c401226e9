"""Where the indexer reads a registered repository: a local path as it is, anything else from a
mirror clone under the data directory that each event refreshes."""

from __future__ import annotations

from pathlib import Path

from shared.index.gitsource import _git


def local_source(
    url: str, mirrors: Path, tenant: str, repo: str, env: dict[str, str] | None = None
) -> Path:
    """A local git directory holding the repository's commits (fetched now for remote URLs;
    ``env``: the forge credential of this one fetch, see ``shared.forge.github.gitauth``)."""
    path = Path(url.removeprefix("file://")) if url.startswith("file://") else Path(url)
    if url.startswith("file://") or path.is_dir():
        if not path.is_dir():
            raise FileNotFoundError(f"repository {repo!r}: {path} does not exist")
        return path
    mirror = mirrors / tenant / f"{repo}.git"
    if mirror.is_dir():
        _git(mirror, "fetch", "--prune", "--quiet", "origin", env=env)
    else:
        mirror.parent.mkdir(parents=True, exist_ok=True)
        _git(mirror.parent, "clone", "--mirror", "--quiet", "--", url, mirror.name, env=env)
    return mirror
