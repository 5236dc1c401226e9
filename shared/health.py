"""``python -m shared.health NAME``: a container's health check, light enough to run often.

Exit 0 when a process of service ``NAME`` has reported ready (its ready file under
``$DEVFORGE_HOME/run/ready`` names a live pid), else 1 with one line on stderr. Imports nothing
but the settings, so a probe costs a fraction of a second.
"""

from __future__ import annotations

import os
import sys

from shared.settings import Settings, get_settings


def pid_alive(pid: int) -> bool:
    """Whether a process of that id exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ready_pids(settings: Settings, name: str) -> list[int]:
    """Live processes of ``name`` that have reported ready."""
    pids = []
    for f in (settings.home / "run" / "ready").glob(f"{name}.*"):
        pid = f.name.rpartition(".")[2]
        if f.name == f"{name}.{pid}" and pid.isdigit() and pid_alive(int(pid)):
            pids.append(int(pid))
    return pids


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0]:
        print("usage: python -m shared.health SERVICE", file=sys.stderr)
        return 2
    if not ready_pids(get_settings(), argv[0]):
        print(f"health: {argv[0]} is not ready", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
