"""Which PRODUCER spans a publish call makes, and how they are parented."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.telemetry.producer_spans import PublishItem, start_publish
from shared.telemetry.trace_context import parse_traceparent

STORED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_nothing_is_made_while_tracing_is_off() -> None:
    assert start_publish("kafka", [PublishItem("e1", "t", STORED, None)]) is None


def test_a_stored_context_parents_its_own_producer_span(spans: InMemorySpanExporter) -> None:
    publish = start_publish(
        "kafka",
        [PublishItem("e1", "orders", STORED, None), PublishItem("e2", "orders", None, None)],
    )
    assert publish is not None
    publish.end()
    finished = {
        dict(span.attributes or {}).get("messaging.message.id"): span
        for span in spans.get_finished_spans()
    }
    own = finished["e1"]
    assert own.kind == SpanKind.PRODUCER
    assert own.parent is not None
    assert own.parent.span_id == 0xB7AD6B7169203331
    assert own.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    # Each message carries its PRODUCER span's context.
    carried = parse_traceparent(publish.headers[0][0])
    assert carried is not None
    assert carried.span_id == own.context.span_id
    assert len(spans.get_finished_spans()) == 2


def test_messages_without_a_context_share_one_span(spans: InMemorySpanExporter) -> None:
    items = [PublishItem(f"e{i}", "orders", None, None) for i in range(5)]
    publish = start_publish("rabbitmq", items)
    assert publish is not None
    publish.end(RuntimeError("nack"))
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["messaging.batch.message_count"] == 5
    assert not span.status.is_ok
    assert len(set(publish.headers)) == 1
