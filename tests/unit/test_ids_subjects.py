from __future__ import annotations

import pytest

from shared import subjects as s
from shared.ids import InvalidId, check_tenant, slugify

JOB = "01hq3k0000000000000000000z"  # fixed: xdist workers must collect the same ids


@pytest.mark.parametrize(
    "bad", ["", "A", "a.b", "a*", "a>", "-a", "a-", "a b", "dlq", "rpc", "sys", "x" * 64]
)
def test_unsafe_or_reserved_tenants_are_refused(bad: str) -> None:
    with pytest.raises(InvalidId):
        check_tenant(bad)


def test_job_subject_round_trips() -> None:
    subject = s.job("acme", JOB, "step.proposed")
    assert subject == f"devforge.acme.job.{JOB}.step.proposed"
    parsed = s.parse(subject)
    assert (parsed.tenant, parsed.job_id, parsed.event) == ("acme", JOB, "step.proposed")


def test_task_ready_carries_a_known_role() -> None:
    assert s.task_ready("acme", JOB, "backend").endswith(".task.ready.backend")
    assert s.parse(s.task_ready("acme", JOB, "frontend")).base_event == "task.ready"
    with pytest.raises(InvalidId, match="role"):
        s.task_ready("acme", JOB, "devops")


@pytest.mark.parametrize(
    "subject",
    [
        f"devforge.ACME.job.{JOB}.ticket.submitted",
        "devforge.acme.job.not-a-ulid.ticket.submitted",
        f"devforge.acme.job.{JOB}.ticket.exploded",
        f"devforge.dlq.job.{JOB}.ticket.submitted",
        "devforge.acme.repo.x.deleted",
        "other.acme.job.x.y",
    ],
)
def test_parse_refuses_bad_subjects(subject: str) -> None:
    with pytest.raises(InvalidId):
        s.parse(subject)


def test_system_subjects() -> None:
    assert s.dlq("guard") == "devforge.dlq.guard"
    assert s.GUARD_MINT == "devforge.rpc.guard.mint"
    assert s.parse(s.repo("acme", "shop", "pushed")).repo_id == "shop"
    assert s.parse(s.tenant_created("acme")).kind == "tenant"


def test_slugify() -> None:
    assert slugify("Acme Corp!") == "acme-corp"
    with pytest.raises(InvalidId):
        slugify("!!!")
