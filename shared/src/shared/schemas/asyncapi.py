"""The AsyncAPI 3.0 document of every event type: channels, messages, who sends them.

Each event type is one channel whose address is the type itself; each registered
version is one message on it, a CloudEvent in structured mode whose ``data`` is that
version's JSON Schema. The schemas are embedded under ``components.schemas`` so the
document stands alone; their internal ``$ref``s are rewritten to point there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.envelope import CONTENT_TYPE, SPEC_VERSION, STRUCTURED_CONTENT_TYPE
from shared.schemas.json_schema import EventSchema, JsonObject
from shared.settings import RabbitMQSettings

ASYNCAPI_VERSION = "3.0.0"
ASYNCAPI_FILE = "asyncapi.json"
DOCUMENT_VERSION = "1.0.0"
ENVELOPE_SCHEMA = "CloudEventsEnvelope"
EXCHANGE = str(RabbitMQSettings.model_fields["exchange"].default)
KAFKA_BINDING_VERSION = "0.5.0"
AMQP_BINDING_VERSION = "0.3.0"
PERSISTENT = 2


@dataclass(frozen=True, slots=True)
class Producer:
    service: str
    aggregate: str
    """The aggregate the events are about; the envelope's subject is its ``<aggregate>_id``."""


# Event type prefix -> the one service that publishes events of that type.
PRODUCERS: Mapping[str, Producer] = {
    "user.": Producer(service="user-service", aggregate="user"),
    "order.": Producer(service="order-service", aggregate="order"),
}


def producer_for(event_type: str) -> Producer:
    for prefix, producer in PRODUCERS.items():
        if event_type.startswith(prefix):
            return producer
    raise LookupError(f"no producing service is declared for event type {event_type!r}")


# Descriptions of the envelope attributes, one per field of ``shared.envelope.Envelope``.
ENVELOPE_ATTRIBUTES: Mapping[str, JsonObject] = {
    "id": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "description": "Unique per event, kept across redeliveries: consumers deduplicate on it.",
    },
    "source": {
        "type": "string",
        "minLength": 1,
        "description": "URI reference naming the producing service.",
    },
    "type": {
        "type": "string",
        "minLength": 1,
        "description": "The event type; also the channel address.",
    },
    "specversion": {"type": "string", "const": SPEC_VERSION},
    "time": {
        "type": "string",
        "format": "date-time",
        "description": "When the event was recorded.",
    },
    "subject": {
        "type": "string",
        "minLength": 1,
        "description": "Id of the aggregate the event is about; the Kafka message key.",
    },
    "datacontenttype": {"type": "string", "const": CONTENT_TYPE},
    "dataschema": {
        "type": "string",
        "pattern": "^urn:eda:event:[a-z][a-z0-9_.-]*:v[0-9]+$",
        "description": "urn:eda:event:<type>:v<version>: the version of data, and the $id "
        "of its JSON Schema.",
    },
    "traceparent": {
        "type": "string",
        "description": "W3C Trace Context of the operation that published the event.",
    },
    "tracestate": {"type": "string", "description": "W3C Trace Context vendor state."},
    "correlationid": {
        "type": "string",
        "description": "Shared by every event of one business flow; the id of its first event.",
    },
    "causationid": {
        "type": "string",
        "description": "Id of the event whose handling published this one.",
    },
    "data": {"type": "object", "description": "The event itself, as its dataschema describes."},
}
ENVELOPE_REQUIRED = (
    "id",
    "source",
    "type",
    "specversion",
    "time",
    "subject",
    "datacontenttype",
    "dataschema",
    "data",
)


def asyncapi_document(schemas: Sequence[EventSchema]) -> JsonObject:
    by_type: dict[str, list[EventSchema]] = {}
    for schema in schemas:
        by_type.setdefault(schema.event_type, []).append(schema)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Domain events",
            "version": DOCUMENT_VERSION,
            "description": (
                "Every domain event, one channel per event type. Events travel as CloudEvents "
                f"1.0 in structured mode ({STRUCTURED_CONTENT_TYPE}) on Kafka or RabbitMQ; "
                "which broker carries a type is deployment configuration. A breaking change "
                "to an event is a new version, never an edit of a published one."
            ),
        },
        "defaultContentType": STRUCTURED_CONTENT_TYPE,
        "channels": {
            event_type: _channel(event_type, versions) for event_type, versions in by_type.items()
        },
        "operations": {
            _operation_id(event_type): _operation(event_type, versions)
            for event_type, versions in by_type.items()
        },
        "components": {
            "schemas": {
                ENVELOPE_SCHEMA: _envelope_schema(),
                **{schema.key: _embedded(schema) for schema in schemas},
            },
            "messages": {schema.key: _message(schema) for schema in schemas},
        },
    }


def _channel(event_type: str, versions: Sequence[EventSchema]) -> JsonObject:
    return {
        "address": event_type,
        "title": event_type,
        "description": (
            f"{event_type} events, published by {producer_for(event_type).service}. "
            f"Kafka: topic = topic prefix + {event_type}, message key = subject. "
            f"RabbitMQ: routing key {event_type} on the topic exchange {EXCHANGE}; "
            "each subscriber reads its own quorum queue bound to that key."
        ),
        "messages": {
            schema.key: {"$ref": _pointer("components", "messages", schema.key)}
            for schema in versions
        },
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": EXCHANGE,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            },
        },
    }


def _operation_id(event_type: str) -> str:
    return f"{producer_for(event_type).service}.send.{event_type}"


def _operation(event_type: str, versions: Sequence[EventSchema]) -> JsonObject:
    service = producer_for(event_type).service
    return {
        "action": "send",
        "channel": {"$ref": _pointer("channels", event_type)},
        "title": f"{service} publishes {event_type}",
        "summary": f"Only {service} publishes {event_type}.",
        "tags": [{"name": service}],
        "messages": [
            {"$ref": _pointer("channels", event_type, "messages", schema.key)}
            for schema in versions
        ],
        "bindings": {
            "amqp": {"deliveryMode": PERSISTENT, "bindingVersion": AMQP_BINDING_VERSION},
        },
    }


def _message(schema: EventSchema) -> JsonObject:
    producer = producer_for(schema.event_type)
    return {
        "name": schema.event_type,
        "title": schema.label,
        "summary": f"{schema.label}, published by {producer.service}.",
        "contentType": STRUCTURED_CONTENT_TYPE,
        "correlationId": {
            "description": "Shared by every event of one business flow.",
            "location": "$message.payload#/correlationid",
        },
        "payload": {
            "allOf": [
                {"$ref": _pointer("components", "schemas", ENVELOPE_SCHEMA)},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": schema.event_type},
                        "dataschema": {"const": schema.document["$id"]},
                        "subject": {
                            "description": f"The {producer.aggregate}_id of the "
                            f"{producer.aggregate} the event is about.",
                        },
                        "data": {"$ref": _pointer("components", "schemas", schema.key)},
                    },
                },
            ],
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"The {producer.aggregate}_id."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            },
            "amqp": {"messageType": schema.event_type, "bindingVersion": AMQP_BINDING_VERSION},
        },
    }


def _envelope_schema() -> JsonObject:
    return {
        "type": "object",
        "title": "CloudEvents 1.0 envelope",
        "description": (
            "Context attributes and data in one JSON object. Optional attributes are "
            "absent rather than null; other extension attributes may appear."
        ),
        "required": list(ENVELOPE_REQUIRED),
        "properties": dict(ENVELOPE_ATTRIBUTES),
        "additionalProperties": True,
    }


def _embedded(schema: EventSchema) -> JsonObject:
    """The event schema as a component: its own ``$id`` would rebase its local refs, so it goes."""
    document = {
        key: value for key, value in schema.document.items() if key not in ("$schema", "$id")
    }
    base = _pointer("components", "schemas", schema.key)
    rewritten: JsonObject = _rebase_refs(document, base)
    return rewritten


def _rebase_refs(node: Any, base: str) -> Any:
    if isinstance(node, dict):
        return {
            key: base + value[1:]
            if key == "$ref" and isinstance(value, str) and value.startswith("#/")
            else _rebase_refs(value, base)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase_refs(item, base) for item in node]
    return node


def _pointer(*tokens: str) -> str:
    return "#/" + "/".join(token.replace("~", "~0").replace("/", "~1") for token in tokens)
