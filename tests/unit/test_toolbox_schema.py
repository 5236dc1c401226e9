"""What the model is sent of a tool's schema: no guard ``decision``, no definition only it used,
every definition the rest still refers to."""

from __future__ import annotations

from shared.crew.toolbox import model_schema


def test_the_decision_and_its_definitions_go_what_the_rest_uses_stays() -> None:
    schema = {
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "spans": {"type": "array", "items": {"$ref": "#/$defs/Span"}},
            "decision": {"$ref": "#/$defs/Decision"},
        },
        "required": ["path", "decision"],
        "$defs": {
            "Decision": {"type": "object", "properties": {"sig": {"$ref": "#/$defs/Sig"}}},
            "Sig": {"type": "string"},
            "Span": {"type": "object", "properties": {"at": {"$ref": "#/$defs/Point"}}},
            "Point": {"type": "integer"},
        },
    }
    out = model_schema(schema)
    assert set(out["properties"]) == {"path", "spans"}
    assert out["required"] == ["path"]
    assert set(out["$defs"]) == {"Span", "Point"}
    plain = model_schema(
        {"properties": {"decision": {"$ref": "#/$defs/Decision"}}, "$defs": {"Decision": {}}}
    )
    assert "$defs" not in plain and plain["properties"] == {}
    assert "decision" in schema["properties"]  # the server's own schema is left as it was
