"""Bad: files and folders every local user can write."""

import os
import stat
from pathlib import Path


def share(path: str) -> None:
    os.chmod(path, 0o777)  # expect: python-world-writable-permissions


def share_file(path: Path) -> None:
    path.chmod(0o666)  # expect: python-world-writable-permissions


def make_spool(path: str) -> None:
    os.makedirs(path, mode=0o777, exist_ok=True)  # expect: python-world-writable-permissions


def open_up(path: str) -> None:
    os.chmod(path, stat.S_IRWXU | stat.S_IWOTH)  # expect: python-world-writable-permissions
