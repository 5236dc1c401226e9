"""Good: literal os.system commands, subprocess with argument lists.  good: python-os-system-dynamic"""

import os
import subprocess


def clear() -> int:
    return os.system("clear")


def ping(host: str) -> int:
    return subprocess.run(["ping", "-c", "1", host]).returncode
