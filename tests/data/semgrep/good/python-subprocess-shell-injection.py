"""Good: argument lists without a shell, and literal shell commands.  good: python-subprocess-shell-injection"""

import subprocess


def listing() -> None:
    subprocess.run(["ls"], shell=False, check=True)


def archive(folder: str) -> None:
    subprocess.run(["tar", "czf", "out.tgz", folder], check=True)


def log_since(ref: str) -> bytes:
    return subprocess.check_output(["git", "log", ref])


def pipeline() -> None:
    subprocess.run("ls -l | wc -l", shell=True, check=True)


def uptime() -> str:
    return subprocess.getoutput("uptime")
