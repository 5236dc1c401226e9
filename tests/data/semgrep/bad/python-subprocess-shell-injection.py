"""Bad: shell=True (or getoutput) with a command built from variables."""

import subprocess
from subprocess import Popen, check_output


def archive(folder: str) -> None:
    subprocess.run(f"tar czf out.tgz {folder}", shell=True, check=True)  # expect: python-subprocess-shell-injection


def log_since(ref: str) -> bytes:
    return check_output("git log " + ref, shell=True)  # expect: python-subprocess-shell-injection


def grep(pattern: str, path: str) -> None:
    command = "grep %s %s" % (pattern, path)
    Popen(command, shell=True)  # expect: python-subprocess-shell-injection


def disk_usage(path: str) -> str:
    return subprocess.getoutput("du -sh " + path)  # expect: python-subprocess-shell-injection
