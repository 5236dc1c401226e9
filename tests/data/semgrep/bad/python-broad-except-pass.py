"""Bad: every error silently swallowed."""

import contextlib
import os


def cleanup(path: str) -> None:
    try:  # expect: python-broad-except-pass
        os.remove(path)
    except:
        pass


def notify(url: str) -> None:
    try:  # expect: python-broad-except-pass
        print("posting", url)
    except Exception:
        pass


def best_effort(path: str) -> None:
    with contextlib.suppress(Exception):  # expect: python-broad-except-pass
        os.remove(path)
