"""Job traces against a local OTLP/HTTP receiver: the tree's ids, redaction at both boundaries,
and nothing at all when tracing is not configured."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry import trace
from ulid import ULID

from shared.ids import new_job_id
from shared.observe import tracing
from shared.settings import Settings
from tests.support.otlp import Receiver, otlp_receiver

SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def _settings(receiver: Receiver, **kw: str) -> Settings:
    return Settings(
        langfuse_host=receiver.url,
        langfuse_public_key=receiver.public_key,
        langfuse_secret_key=kw.get("secret", receiver.secret_key),
        langfuse_project_id=kw.get("project"),
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with otlp_receiver() as r:
        yield r
    tracing.configure(Settings())  # back to no tracing for whatever runs next


def test_spans_of_a_job_form_one_tree_under_its_root(receiver: Receiver) -> None:
    assert tracing.configure(_settings(receiver))
    job = new_job_id()
    with tracing.span("agent lead-a1", "agent", job_id=job):
        with tracing.span("model lead turn 0", "generation", {"devforge.turn": 0}):
            pass
        with tracing.span("tool read_file", "tool", job_id=job):  # nests, not a new root child
            pass
    now = datetime.now(UTC)
    tracing.emit_job_root(job, now - timedelta(seconds=5), now, {"devforge.status": "completed"})
    tracing.flush()
    spans = {sp.name: sp for sp in receiver.spans}
    tid = f"{tracing.trace_id(job):032x}"
    assert {sp.trace_id for sp in spans.values()} == {tid}
    root = spans[f"job {job}"]
    assert root.parent_id == "" and int(root.span_id, 16) == tracing.root_span_id(job)
    agent = spans["agent lead-a1"]
    assert agent.parent_id == root.span_id
    assert spans["model lead turn 0"].parent_id == agent.span_id
    assert spans["tool read_file"].parent_id == agent.span_id
    assert spans["model lead turn 0"].attributes["langfuse.observation.type"] == "generation"


def test_every_string_is_redacted_where_it_is_set_and_again_on_export(receiver: Receiver) -> None:
    tracing.configure(_settings(receiver))
    job = new_job_id()
    with tracing.span(f"tool {SECRET}", "tool", {"input": {"token": SECRET}}, job_id=job) as sp:
        sp.set_attribute("raw", f"Authorization: token {SECRET}")  # past the helper
        sp.set_attribute("many", [SECRET, "ok"])
        tracing.set_attrs(sp, {"output": f"read: {SECRET}"})
    with pytest.raises(RuntimeError), tracing.span("failing", "span", job_id=job):
        raise RuntimeError(f"boom {SECRET}")
    tracing.flush()
    assert len(receiver.spans) == 2
    text = repr([(s.name, s.attributes, s.status_message) for s in receiver.spans])
    assert SECRET not in text and SECRET[4:] not in text
    assert "[REDACTED:github_token]" in receiver.spans[0].attributes["raw"]
    assert receiver.spans[1].status_message.startswith("boom [REDACTED")


def test_nothing_is_exported_without_configuration(receiver: Receiver) -> None:
    assert not tracing.configure(Settings(langfuse_host=receiver.url))  # no keys: off
    assert not tracing.enabled()
    job = new_job_id()
    with tracing.span("agent x", "agent", job_id=job) as sp:
        assert not sp.is_recording()
        assert trace.get_current_span() is sp
    tracing.emit_job_root(job, datetime.now(UTC), datetime.now(UTC), {})
    tracing.flush()
    assert receiver.spans == [] and receiver.refused == []
    assert tracing.trace_url(Settings(), job) is None


def test_wrong_keys_are_refused_by_the_receiver_and_links_name_the_trace(
    receiver: Receiver,
) -> None:
    tracing.configure(_settings(receiver, secret="sk-lf-wrong"))
    with tracing.span("agent x", "agent", job_id=new_job_id()):
        pass
    tracing.flush()
    assert receiver.spans == [] and receiver.refused == ["bad credentials"]
    job = new_job_id()
    tid = f"{tracing.trace_id(job):032x}"
    assert tracing.trace_url(_settings(receiver), job) == f"{receiver.url}/trace/{tid}"
    linked = tracing.trace_url(_settings(receiver, project="p1"), job)
    assert linked == f"{receiver.url}/project/p1/traces/{tid}"


def test_trace_ids_come_from_the_job_id() -> None:
    job = new_job_id()
    assert f"{tracing.trace_id(job):032x}" == ULID.from_str(job.upper()).hex
    assert tracing.trace_id("not-a-ulid") == tracing.trace_id("not-a-ulid") > 0
    assert tracing.trace_id("not-a-ulid") != tracing.trace_id("another")
