"""JSON Schemas generated from the event registry."""

from __future__ import annotations

import json

import pytest

from shared.envelope import dataschema_for
from shared.events import registry
from shared.schemas.json_schema import (
    DIALECT,
    EventSchema,
    parse_schema_file_name,
    registered_schemas,
    render_json,
    schema_file_name,
)


def test_every_registered_model_has_a_schema() -> None:
    keys = [(schema.event_type, schema.version) for schema in registered_schemas()]

    assert keys == [(model.event_type, model.version) for model in registry.all_models()]
    assert keys, "the registry is empty: were the event modules imported?"


@pytest.mark.parametrize("schema", registered_schemas(), ids=lambda schema: schema.key)
def test_schema_is_draft_2020_12_identified_by_the_envelope_dataschema(
    schema: EventSchema,
) -> None:
    document = schema.document

    assert document["$schema"] == DIALECT
    assert document["$id"] == dataschema_for(schema.event_type, schema.version)
    assert document["title"] == f"{schema.event_type} v{schema.version}"
    assert document["type"] == "object"
    assert set(document["required"]) <= set(document["properties"])


def test_rendering_is_byte_identical_across_runs() -> None:
    first = [render_json(schema.document) for schema in registered_schemas()]
    second = [render_json(schema.document) for schema in registered_schemas()]

    assert first == second


def test_rendering_sorts_keys_indents_by_two_and_ends_with_a_newline() -> None:
    text = render_json({"b": 1, "a": {"d": [1], "c": "é"}})

    assert text == '{\n  "a": {\n    "c": "é",\n    "d": [\n      1\n    ]\n  },\n  "b": 1\n}\n'
    assert json.loads(text) == {"a": {"c": "é", "d": [1]}, "b": 1}


def test_file_names_round_trip() -> None:
    name = schema_file_name("order.placed", 12)

    assert name == "order.placed.v12.json"
    assert parse_schema_file_name(name) == ("order.placed", 12)
    assert parse_schema_file_name("order.placed.json") is None
    assert parse_schema_file_name("README.md") is None
