"""``python -m services.engineers --conductor`` or ``--role backend|frontend|migration``:
each is its own process on its own durable, scaled on its own."""

from __future__ import annotations

import argparse

from services.engineers import conductor, worker
from shared.roles import ENGINEER_ROLES
from shared.service import Service


def build(argv: list[str]) -> Service:
    parser = argparse.ArgumentParser(prog="python -m services.engineers")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--conductor", action="store_true")
    group.add_argument("--role", choices=ENGINEER_ROLES)
    args = parser.parse_args(argv)
    if args.conductor:
        return Service(
            name="conductor",
            durable="conductor",
            handlers={
                "plan.approved": conductor.on_plan_approved,
                "task.done": conductor.on_task_done,
                "qa.failed": conductor.on_qa_failed,
            },
        )
    return Service(
        name=f"engineer-{args.role}",
        durable=f"engineer-{args.role}",
        handlers={"task.ready": worker.on_task_ready},
        stop_on_job_end=True,
    )
