"""Good: specific exceptions, or broad ones that are logged.  good: python-broad-except-pass"""

import contextlib
import logging
import os

log = logging.getLogger(__name__)


def cleanup(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def notify(url: str) -> None:
    try:
        print("posting", url)
    except Exception:
        log.exception("notify failed")


def best_effort(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
