"""The span around a handler's unit of work: a child of the CONSUMER span, or in a run
of several messages, of the message's own PRODUCER span. A database error escaping
the handler is recorded by type and error code only (its message may quote values)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry.trace import SpanKind, Status, StatusCode

from shared.telemetry.db_errors import is_database_error, record_database_error
from shared.telemetry.message_context import message_parent
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
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield
        except BaseException as exc:
            if is_database_error(exc):
                record_database_error(span, exc)
            else:  # what the SDK records by default
                span.record_exception(exc, escaped=True)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
