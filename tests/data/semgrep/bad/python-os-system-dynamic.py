"""Bad: os.system / os.popen with a command built from variables."""

import os


def ping(host: str) -> int:
    return os.system("ping -c 1 " + host)  # expect: python-os-system-dynamic


def list_dir(path: str) -> str:
    return os.popen(f"ls -l {path}").read()  # expect: python-os-system-dynamic
