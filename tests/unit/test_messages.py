from __future__ import annotations

import json

import pytest

from shared import messages as m
from shared.bus.client import job_event_name, msg_id
from tests.support.samples import job_samples


def test_every_job_event_has_a_sample() -> None:
    assert {x.EVENT for x in job_samples()} == set(m.JOB_MODELS)


@pytest.mark.parametrize("sample", job_samples(), ids=lambda x: x.EVENT)
def test_round_trip(sample: m.Message) -> None:
    assert m.decode(type(sample), sample.to_bytes()) == sample


def test_unknown_field_is_refused_for_the_known_version() -> None:
    body = {"request_id": "r1", "token": "t" * 32, "extra": 1}
    with pytest.raises(m.Unreadable, match="extra"):
        m.decode(m.ApprovalGranted, json.dumps(body).encode())


def test_unknown_field_is_ignored_for_the_next_version() -> None:
    body = {"schema_version": 2, "request_id": "r1", "token": "t" * 32, "extra": 1}
    msg = m.decode(m.ApprovalGranted, json.dumps(body).encode())
    assert msg.request_id == "r1" and msg.schema_version == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1]", "JSON object"),
        (
            b'{"schema_version": 3, "request_id": "r", "token": "tttttttttttttttttt"}',
            "schema_version 3",
        ),
        (b'{"schema_version": "1", "request_id": "r", "token": "tttttttttttttttttt"}', "integer"),
        (b'{"request_id": "Bad Id", "token": "tttttttttttttttttt"}', "request_id"),
        (b"\xff\xfe", "invalid JSON"),
    ],
)
def test_unreadable_bodies_have_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(m.Unreadable, match=reason):
        m.decode(m.ApprovalGranted, data)


def test_external_wire_shape_needs_no_version() -> None:
    msg = m.decode(m.ApprovalGranted, b'{"request_id": "r1", "token": "tttttttttttttttttttt"}')
    assert msg.schema_version == 1


def test_message_ids_are_deterministic_per_identity() -> None:
    a = m.StepProposed(step_id="s1", agent="x", tool="t", arguments={})
    b = m.StepProposed(step_id="s1", agent="y", tool="t", arguments={"k": 1})
    c = m.StepProposed(step_id="s2", agent="x", tool="t", arguments={})
    assert msg_id("t", "j", "step.proposed", a) == msg_id("t", "j", "step.proposed", b)
    assert msg_id("t", "j", "step.proposed", a) != msg_id("t", "j", "step.proposed", c)


def test_task_ready_subject_names_the_role() -> None:
    task = m.PlanTask(id="t1", kind="migration", title="x")
    assert job_event_name(m.TaskReady(task=task)) == "task.ready.migration"


def test_model_for_unknown_event() -> None:
    with pytest.raises(m.Unreadable, match="unknown event"):
        m.model_for("ticket.exploded")
