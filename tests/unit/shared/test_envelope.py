from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from shared.envelope import decode, encode, wrap
from shared.errors import (
    NotACloudEventError,
    NotJsonError,
    SchemaViolationError,
    UnknownEventTypeError,
)
from shared.events import UserDeactivatedV1


def deactivated() -> UserDeactivatedV1:
    return UserDeactivatedV1(user_id=uuid.uuid4(), deactivated_at=datetime.now(UTC))


def test_wrap_fills_the_cloudevents_attributes() -> None:
    event = deactivated()
    envelope = wrap(
        event, source="urn:eda:user-service", traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    )
    assert envelope.type == "user.deactivated"
    assert envelope.specversion == "1.0"
    assert envelope.subject == str(event.user_id)
    assert envelope.datacontenttype == "application/json"
    assert envelope.dataschema == "urn:eda:event:user.deactivated:v1"
    assert envelope.correlationid == envelope.id  # a new chain starts with itself
    assert envelope.version == 1


def test_an_envelope_survives_encoding_and_its_event_is_equal() -> None:
    event = deactivated()
    envelope = wrap(event, source="urn:test", correlation_id="c-1", causation_id="e-0")
    decoded = decode(encode(envelope))
    assert decoded == envelope
    assert decoded.event() == event


def test_absent_optional_attributes_are_left_out_rather_than_null() -> None:
    document = json.loads(encode(wrap(deactivated(), source="urn:test")))
    assert "traceparent" not in document
    assert "causationid" not in document


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"\x80\x81", NotJsonError),
        (b"{not json", NotJsonError),
        (b"[1, 2]", NotACloudEventError),
        (b'{"id": "1"}', NotACloudEventError),
    ],
)
def test_malformed_messages_raise_permanent_errors(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode(raw)


def _tampered(**changes: object) -> bytes:
    document = json.loads(encode(wrap(deactivated(), source="urn:test")))
    document.update(changes)
    return json.dumps(document).encode()


def test_a_wrong_specversion_is_not_a_cloudevent() -> None:
    with pytest.raises(NotACloudEventError, match="specversion"):
        decode(_tampered(specversion="0.3"))


def test_an_unknown_version_is_reported_as_such() -> None:
    envelope = decode(_tampered(dataschema="urn:eda:event:user.deactivated:v7"))
    with pytest.raises(UnknownEventTypeError, match="v7"):
        envelope.event()


def test_data_that_violates_the_schema_is_reported_with_the_field() -> None:
    envelope = decode(_tampered(data={"user_id": "nope", "deactivated_at": "2026-01-01T00:00:00Z"}))
    with pytest.raises(SchemaViolationError, match="user_id"):
        envelope.event()
