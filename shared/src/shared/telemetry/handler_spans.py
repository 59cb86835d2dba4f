"""The span around a handler's unit of work: a child of the CONSUMER span, or in a run
of several messages, of the message's own PRODUCER span."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry.trace import SpanKind

from shared.telemetry.messaging_spans import message_parent
from shared.telemetry.tracing import tracer


@contextlib.contextmanager
def handler_span(event_type: str, subscriber: str, count: int = 1) -> Iterator[None]:
    active = tracer()
    if active is None:
        yield
        return
    attributes: dict[str, str | int] = {"messaging.consumer.group.name": subscriber}
    if count > 1:
        attributes["messaging.batch.message_count"] = count
    with active.start_as_current_span(
        f"handle {event_type}",
        context=message_parent(),
        kind=SpanKind.INTERNAL,
        attributes=attributes,
    ):
        yield
