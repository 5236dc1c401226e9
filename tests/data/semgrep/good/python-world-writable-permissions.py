"""Good: least-privilege modes.  good: python-world-writable-permissions"""

import os
from pathlib import Path


def protect(path: str) -> None:
    os.chmod(path, 0o600)


def publish(path: Path) -> None:
    path.chmod(0o644)


def make_dirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)
    Path(path, "private").mkdir(mode=0o700)
