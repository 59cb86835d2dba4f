"""CloudEvents 1.0 structured-mode JSON envelope around every domain event.

Extensions: ``traceparent``/``tracestate`` (distributed tracing) and
``correlationid``/``causationid``. The event's version is carried by
``dataschema`` (``urn:eda:event:<type>:v<version>``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import (
    NotACloudEventError,
    NotJsonError,
    SchemaViolationError,
    UnknownEventTypeError,
)
from shared.events import registry
from shared.events.base import Event

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# How a whole envelope travels as a message body (CloudEvents structured mode).
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
# Plain syntax in the field pattern (portable to any JSON Schema validator);
# the named groups are only for reading the version back.
_SCHEMA_URN_PATTERN = r"^urn:eda:event:[a-z][a-z0-9_.-]*:v[0-9]+$"
_SCHEMA_URN = re.compile(r"^urn:eda:event:(?P<type>[a-z][a-z0-9_.-]*):v(?P<version>[0-9]+)$")


def dataschema_for(event_type: str, version: int) -> str:
    return f"urn:eda:event:{event_type}:v{version}"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    id: str = Field(min_length=1, max_length=255)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    specversion: Literal["1.0"]
    time: datetime
    subject: str = Field(min_length=1)
    datacontenttype: Literal["application/json"]
    dataschema: str = Field(pattern=_SCHEMA_URN_PATTERN)
    traceparent: str | None = None
    tracestate: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    data: dict[str, Any]

    @property
    def version(self) -> int:
        match = _SCHEMA_URN.match(self.dataschema)
        assert match is not None  # guaranteed by the field pattern
        return int(match["version"])

    def event(self) -> Event:
        """Validate ``data`` against the registered model for ``type`` and version."""
        try:
            version = self.version
        except ValueError:  # more digits than int() reads: no such version is registered
            raise UnknownEventTypeError(
                f"unknown event type {self.type!r}: version too long"
            ) from None
        model = registry.lookup(self.type, version)
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise SchemaViolationError(f"{self.type} v{self.version}: {_summary(exc)}") from None


def wrap(
    event: Event,
    *,
    source: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    """Put an event in a new envelope; a fresh id unless one is given (the outbox keeps its own)."""
    new_id = event_id or str(uuid4())
    return Envelope(
        id=new_id,
        source=source,
        type=event.event_type,
        specversion=SPEC_VERSION,
        time=time or datetime.now(UTC),
        subject=event.aggregate_id,
        datacontenttype=CONTENT_TYPE,
        dataschema=dataschema_for(event.event_type, event.version),
        traceparent=traceparent,
        tracestate=tracestate,
        correlationid=correlation_id or new_id,
        causationid=causation_id,
        data=event.model_dump(mode="json"),
    )


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json(exclude_none=True).encode()


def decode(raw: bytes) -> Envelope:
    """Parse structured CloudEvents JSON; malformed input raises a PermanentError subclass."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # ValueError: undecodable bytes, bad syntax, an integer of too many digits;
        # RecursionError: nesting deeper than the parser goes.
        raise NotJsonError(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise NotACloudEventError(
            f"not a CloudEvent: a JSON {type(document).__name__}, not an object"
        )
    try:
        return Envelope.model_validate(document)
    except ValidationError as exc:
        raise NotACloudEventError(f"not a CloudEvent: {_summary(exc)}") from None


def _summary(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
        for error in exc.errors()[:5]
    )
