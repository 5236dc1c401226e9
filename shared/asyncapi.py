"""The AsyncAPI 3.0 document, generated from ``shared.messages`` and ``shared.subjects``.

``docs/asyncapi.yaml`` is this function's output, committed; a test fails when it is stale.
Payload schemas are strict (``additionalProperties: false``), like the readers.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from shared import subjects as s
from shared.messages import ALL_MODELS, JOB_MODELS, Message
from shared.roles import ENGINEER_ROLES

REF = "#/components/schemas/{model}"


def _channel_address(event: str) -> tuple[str, dict[str, Any]]:
    tenant: dict[str, Any] = {"description": "tenant id (subject-safe token)"}
    if event.startswith("rpc."):
        return "devforge." + event.removesuffix(".reply"), {}
    if event == "dead_letter":
        return "devforge.dlq.{service}", {"service": {"description": "service that gave up"}}
    if event == "tenant.created":
        return "devforge.{tenant}.tenant.created", {"tenant": tenant}
    if event in ("repo.connected", "repo.pushed"):
        return (
            "devforge.{tenant}.repo.{repo_id}." + event.split(".")[1],
            {"tenant": tenant, "repo_id": {"description": "repository name"}},
        )
    params: dict[str, Any] = {
        "tenant": tenant,
        "job_id": {"description": "job id (lowercase ULID)"},
    }
    if event == "task.ready":
        params["role"] = {"enum": list(ENGINEER_ROLES), "description": "engineer role"}
        return "devforge.{tenant}.job.{job_id}.task.ready.{role}", params
    return "devforge.{tenant}.job.{job_id}." + event, params


def build() -> dict[str, Any]:
    models: list[type[Message]] = list(ALL_MODELS.values())
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas = defs.get("$defs", {})
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event, model in ALL_MODELS.items():
        name = model.__name__
        address, params = _channel_address(event)
        key = event.replace(".", "_")
        channels[key] = {
            "address": address,
            "parameters": params,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "description": (model.__doc__ or name).strip().splitlines()[0],
        }
        messages[name] = {
            "name": event,
            "contentType": "application/json",
            "payload": {"$ref": REF.format(model=name)},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "DevForge bus",
            "version": "1",
            "description": (
                "Job, registry and dead-letter subjects of DevForge on NATS JetStream. Job events "
                f"({len(JOB_MODELS)} kinds) are in stream {s.JOBS_STREAM}; readers refuse unknown "
                "fields of schema_version 1 and ignore them in version 2."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render() -> str:
    return yaml.safe_dump(build(), sort_keys=False, width=100, allow_unicode=True)


def schema_for(doc: dict[str, Any], event: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for one event's payload, resolving refs inside ``doc``."""
    key = "task.ready" if event.startswith("task.ready.") else event
    name = ALL_MODELS[key].__name__
    return {"components": doc["components"], "$ref": REF.format(model=name)}
