"""The AsyncAPI document: structure, references, producers, envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from shared.envelope import STRUCTURED_CONTENT_TYPE, Envelope
from shared.events import registry
from shared.messaging import kafka
from shared.schemas.asyncapi import (
    ASYNCAPI_VERSION,
    ENVELOPE_ATTRIBUTES,
    ENVELOPE_REQUIRED,
    PRODUCERS,
    asyncapi_document,
    producer_for,
)
from shared.schemas.json_schema import registered_schemas


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document(registered_schemas())


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node: Any = document
    for token in ref[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{ref}: {key!r} is looked up in a non-object"
        assert key in node, f"{ref}: no {key!r}"
        node = node[key]
    return node


def test_top_level_keys(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == ASYNCAPI_VERSION == "3.0.0"
    assert {"asyncapi", "info", "channels", "operations", "components"} <= document.keys()
    assert {"title", "version"} <= document["info"].keys()


def test_every_ref_resolves_inside_the_document(document: dict[str, Any]) -> None:
    found = list(refs(document))

    assert found
    for ref in found:
        resolve(document, ref)


def test_one_channel_per_event_type_addressed_by_the_type(document: dict[str, Any]) -> None:
    channels = document["channels"]

    assert sorted(channels) == registry.event_types()
    for event_type, channel in channels.items():
        assert channel["address"] == event_type
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "events"
        assert "topic prefix" in channel["description"]


def test_one_message_per_type_and_version(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]

    expected = {f"{model.event_type}.v{model.version}" for model in registry.all_models()}
    assert set(messages) == expected
    for model in registry.all_models():
        key = f"{model.event_type}.v{model.version}"
        assert key in document["channels"][model.event_type]["messages"]
        message = messages[key]
        assert message["contentType"] == "application/cloudevents+json"
        envelope, specifics = message["payload"]["allOf"]
        assert resolve(document, envelope["$ref"])["required"]
        data_schema = resolve(document, specifics["properties"]["data"]["$ref"])
        assert data_schema["title"] == f"{model.event_type} v{model.version}"
        assert "$id" not in data_schema, "an embedded $id would rebase its local refs"


def test_each_type_is_sent_by_its_owning_service(document: dict[str, Any]) -> None:
    operations = document["operations"]

    assert len(operations) == len(registry.event_types())
    for operation in operations.values():
        assert operation["action"] == "send"
        channel = resolve(document, operation["channel"]["$ref"])
        event_type = channel["address"]
        assert operation["tags"] == [{"name": producer_for(event_type).service}]
        prefix = operation["channel"]["$ref"] + "/messages/"
        for message in operation["messages"]:
            assert message["$ref"].startswith(prefix), "operations use the channel's messages"
            resolve(document, message["$ref"])


def test_producers_table() -> None:
    assert producer_for("user.registered").service == "user-service"
    assert producer_for("order.placed").service == "order-service"
    with pytest.raises(LookupError):
        producer_for("invoice.issued")


@pytest.mark.parametrize("model", list(registry.all_models()), ids=lambda model: model.event_type)
def test_every_registered_type_has_a_producer_whose_aggregate_id_is_the_subject(
    model: Any,
) -> None:
    producer = producer_for(model.event_type)
    aggregate_id = uuid4()

    event = model.model_construct(**{f"{producer.aggregate}_id": aggregate_id})

    assert event.aggregate_id == str(aggregate_id)
    assert set(PRODUCERS.values()) >= {producer}


def test_envelope_description_matches_the_envelope_model() -> None:
    assert set(ENVELOPE_ATTRIBUTES) == set(Envelope.model_fields)
    assert set(ENVELOPE_REQUIRED) == {
        name for name, field in Envelope.model_fields.items() if field.is_required()
    }


def test_the_kafka_header_carries_the_one_structured_content_type() -> None:
    assert kafka.STRUCTURED_CONTENT_TYPE.decode() == STRUCTURED_CONTENT_TYPE
