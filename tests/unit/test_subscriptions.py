"""Each service's durable delivers exactly the events its handler table handles: the filters in
``shared.bus.topology`` and the handlers in ``services/*/app.py`` agree (an event delivered with
no handler is dead-lettered with a reason, never acknowledged silently)."""

from __future__ import annotations

import fnmatch

from services.engineers.app import build as build_engineers
from services.gateway.projector import build as build_projector
from services.guard.app import build as build_guard
from services.indexer.app import build as build_indexer
from services.lead.app import build as build_lead
from services.publisher.app import build as build_publisher
from services.qa.app import build as build_qa
from shared import subjects as s
from shared.bus.topology import CONSUMERS
from shared.messages import JOB_MODELS
from shared.roles import ENGINEER_ROLES
from shared.service import Service


def _services() -> list[Service]:
    return [
        build_guard(),
        build_lead(),
        build_engineers(["--conductor"]),
        *(build_engineers(["--role", r]) for r in ENGINEER_ROLES),
        build_qa(),
        build_publisher(),
        build_projector(),
        build_indexer(),
    ]


def _delivered(filters: list[str]) -> set[str]:
    """The events (as handler keys) a durable's filters select."""
    out = set()
    for event in [*JOB_MODELS, *(f"task.ready.{r}" for r in ENGINEER_ROLES)]:
        subject = f"{s.PREFIX}.acme.job.01j0000000000000000000000a.{event}"
        if any(fnmatch.fnmatchcase(subject, f.replace(">", "*")) for f in filters):
            out.add("task.ready" if event.startswith("task.ready.") else event)
    for event in ("connected", "pushed"):
        subject = s.repo("acme", "shop", event)
        if any(fnmatch.fnmatchcase(subject, f.replace(">", "*")) for f in filters):
            out.add(f"repo.{event}")
    return out


def test_every_service_handles_exactly_what_its_durable_delivers() -> None:
    services = _services()
    assert sorted(svc.durable for svc in services) == sorted(CONSUMERS)
    for svc in services:
        spec = CONSUMERS[svc.durable]
        assert _delivered(spec.filter_subjects) == set(svc.handlers), svc.durable
