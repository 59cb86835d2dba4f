"""A run of several messages taken by a batch handler in one call still reaches every
message's own trace: each gets a CONSUMER span, linked to the run's span, and what the
handler does for one event on its own continues that span."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from shared.envelope import Envelope, decode
from shared.errors import TransientError
from shared.events import Event
from shared.messaging import IncomingMessage
from shared.messaging.processor import MessageProcessor
from shared.telemetry.message_context import continuing_message
from shared.telemetry.tracing import tracer
from tests.support.fakes import FakeDeadLetters
from tests.support.processed_messages import FAST_RETRY, SUBSCRIPTION, confirmed_message


def traced_message() -> tuple[IncomingMessage, int, int]:
    """A message from a trace of its own: the message, its trace id and PRODUCER span id."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    headers = (f"00-{trace_id}-{span_id}-01", None)
    return (
        dataclasses.replace(confirmed_message(), trace_headers=headers),
        int(trace_id, 16),
        int(span_id, 16),
    )


async def ignore_one(event: Event, envelope: Envelope) -> None:
    pass


def processor(batch_fails: bool = False) -> MessageProcessor:
    async def handle_many(events: Sequence[tuple[Event, Envelope]]) -> None:
        active = tracer()
        assert active is not None
        for _, envelope in events:
            # As batch_handled_once handles each event: the outbox write is such a span.
            with continuing_message(envelope.id), active.start_as_current_span("write"):
                pass
        if batch_fails:
            raise TransientError("deadlock found when trying to get lock")

    return MessageProcessor(
        SUBSCRIPTION, ignore_one, FakeDeadLetters(), FAST_RETRY, batch_handler=handle_many
    )


def consumer_spans(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.kind == SpanKind.CONSUMER]


async def test_each_message_of_a_run_handled_together_gets_a_span_in_its_trace(
    spans: InMemorySpanExporter,
) -> None:
    traced = [traced_message() for _ in range(3)]
    untraced = confirmed_message()

    done = await processor().process_many([m for m, _, _ in traced] + [untraced])

    assert done == 4
    (run,) = [span for span in consumer_spans(spans) if span.parent is None]
    per_message = {span.context.trace_id: span for span in consumer_spans(spans) if span.parent}
    assert set(per_message) == {trace_id for _, trace_id, _ in traced}  # none for untraced
    for message, trace_id, producer_span_id in traced:
        span = per_message[trace_id]
        assert span.parent is not None
        assert span.parent.span_id == producer_span_id
        assert span.name == run.name == "process order.confirmed"
        assert [link.context.span_id for link in span.links] == [run.context.span_id]
        assert span.attributes is not None
        assert span.attributes["messaging.message.id"] == decode(message.body).id
        assert "messaging.batch.message_count" not in span.attributes
        times = (run.start_time, span.start_time, span.end_time, run.end_time)
        assert None not in times
        assert list(times) == sorted(times)  # type: ignore[type-var]


async def test_a_run_of_one_has_its_one_consumer_span_only(spans: InMemorySpanExporter) -> None:
    message, trace_id, producer_span_id = traced_message()

    assert await processor().process_many([message]) == 1

    (span,) = consumer_spans(spans)
    assert span.context.trace_id == trace_id
    assert span.parent is not None
    assert span.parent.span_id == producer_span_id


async def test_what_the_handler_does_for_one_event_continues_its_message_trace(
    spans: InMemorySpanExporter,
) -> None:
    traced = [traced_message() for _ in range(3)]

    assert await processor().process_many([m for m, _, _ in traced]) == 3

    per_message = {span.context.trace_id: span for span in consumer_spans(spans) if span.parent}
    writes = [span for span in spans.get_finished_spans() if span.name == "write"]
    assert len(writes) == 3
    for write, (_, trace_id, _) in zip(writes, traced, strict=True):
        assert write.context.trace_id == trace_id  # not the run's trace
        assert write.parent is not None
        assert write.parent.span_id == per_message[trace_id].context.span_id


async def test_a_failed_batch_says_so_in_each_message_span_then_handles_them_one_by_one(
    spans: InMemorySpanExporter,
) -> None:
    traced = [traced_message() for _ in range(2)]

    assert await processor(batch_fails=True).process_many([m for m, _, _ in traced]) == 2

    (run,) = [span for span in consumer_spans(spans) if span.parent is None]
    failed = [span for span in consumer_spans(spans) if span.parent is not None]
    assert {span.context.trace_id for span in failed} == {trace_id for _, trace_id, _ in traced}
    assert all(span.status.status_code is StatusCode.ERROR for span in failed)
    assert run.status.status_code is not StatusCode.ERROR
