"""A database error on a span: its type and MySQL error code, never its message (which
quotes the statement's values, e.g. a duplicate e-mail)."""

from __future__ import annotations

import pymysql
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from shared.envelope import Envelope
from shared.events import Event
from shared.messaging.processor import MessageProcessor
from shared.settings import RetrySettings
from shared.telemetry.handler_spans import handler_span
from tests.support.fakes import FakeDeadLetters
from tests.support.processed_messages import SUBSCRIPTION, confirmed_message

EMAIL = "ann.example@example.com"
TYPE = "pymysql.err.IntegrityError"


def duplicate() -> pymysql.err.IntegrityError:
    return pymysql.err.IntegrityError(1062, f"Duplicate entry '{EMAIL}' for key 'email'")


def assert_no_email(exporter: InMemorySpanExporter) -> None:
    finished = exporter.get_finished_spans()
    assert finished
    for span in finished:
        assert EMAIL not in span.to_json(), span.name


def test_a_database_error_out_of_a_handler_is_recorded_without_its_message(
    spans: InMemorySpanExporter,
) -> None:
    with pytest.raises(pymysql.err.IntegrityError), handler_span("user.created", "s"):
        raise duplicate()
    [span] = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == TYPE
    assert span.attributes["db.response.status_code"] == "1062"
    [event] = span.events
    assert event.name == "exception"
    assert dict(event.attributes or {}) == {"exception.type": TYPE}
    assert span.status.status_code is StatusCode.ERROR
    assert_no_email(spans)


def test_another_error_out_of_a_handler_is_still_recorded_in_full(
    spans: InMemorySpanExporter,
) -> None:
    with pytest.raises(ValueError, match="bad"), handler_span("user.created", "s"):
        raise ValueError("bad")
    [span] = spans.get_finished_spans()
    [event] = span.events
    assert event.attributes is not None
    assert event.attributes["exception.message"] == "bad"
    assert span.status.description == "ValueError: bad"


async def test_retry_and_dead_letter_events_carry_no_database_error_message(
    spans: InMemorySpanExporter,
) -> None:
    async def handle(event: Event, envelope: Envelope) -> None:
        with handler_span(SUBSCRIPTION.event_type, SUBSCRIPTION.subscriber):
            raise duplicate()

    sink = FakeDeadLetters()
    retry = RetrySettings(max_attempts=2, initial_backoff_s=0.001, max_backoff_s=0.002)
    processor = MessageProcessor(SUBSCRIPTION, handle, sink, retry)
    assert await processor.process_many([confirmed_message()]) == 1
    consumer = next(span for span in spans.get_finished_spans() if span.name.startswith("process"))
    reasons = [str((event.attributes or {}).get("reason")) for event in consumer.events]
    assert reasons == [
        "IntegrityError: MySQL error 1062",
        "retries exhausted after 2 attempts: IntegrityError: MySQL error 1062",
    ]
    assert_no_email(spans)
    # The dead letter itself still says what the server said, for whoever handles it.
    [(_, reason, _)] = sink.records
    assert EMAIL in reason
