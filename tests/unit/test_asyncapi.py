from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from shared import asyncapi
from tests.support.samples import job_samples

DOC = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"


def test_committed_document_is_current() -> None:
    assert DOC.read_text() == asyncapi.render(), "stale: run `make asyncapi` and commit"


@pytest.mark.parametrize("sample", job_samples(), ids=lambda x: x.EVENT)
def test_samples_validate_and_extra_fields_fail(sample: object) -> None:
    doc = yaml.safe_load(DOC.read_text())
    body = sample.model_dump(mode="json")  # type: ignore[attr-defined]
    schema = asyncapi.schema_for(doc, sample.EVENT)  # type: ignore[attr-defined]
    jsonschema.Draft202012Validator(schema).validate(body)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({**body, "surprise": True})
