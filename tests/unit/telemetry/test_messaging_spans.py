"""Which spans a publish call and a processed run make, and how they are parented."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.telemetry.messaging_spans import (
    PublishItem,
    message_parent,
    start_process,
    start_publish,
)
from shared.telemetry.trace_context import parse_traceparent

STORED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_nothing_is_made_while_tracing_is_off() -> None:
    assert start_publish("kafka", [PublishItem("e1", "t", STORED, None)]) is None
    assert start_process("kafka", "t", "sub", [(STORED, None)]) is None


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


def test_a_run_of_one_is_a_child_of_its_producer(spans: InMemorySpanExporter) -> None:
    process = start_process("kafka", "orders", "sub", [(STORED, None)])
    assert process is not None
    process.message_id("e1")
    process.end()
    (span,) = spans.get_finished_spans()
    assert span.kind == SpanKind.CONSUMER
    assert span.parent is not None
    assert span.parent.span_id == 0xB7AD6B7169203331
    assert span.attributes is not None
    assert span.attributes["messaging.consumer.group.name"] == "sub"
    assert span.attributes["messaging.message.id"] == "e1"


def test_a_run_of_several_links_each_message(spans: InMemorySpanExporter) -> None:
    other = "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01"
    process = start_process("kafka", "orders", "sub", [(STORED, None), None, (other, None)])
    assert process is not None
    token = process.enter_message(2)
    handler_parent = message_parent()
    process.leave_message(token)
    process.dead_lettered("bad", attempts=1)
    process.end()
    (span,) = spans.get_finished_spans()
    assert span.parent is None
    assert {link.context.span_id for link in span.links} == {0xB7AD6B7169203331, 0xC7AD6B7169203331}
    assert not span.status.is_ok
    # The third message's handler continues the third message's trace.
    assert handler_parent is not None
    assert trace.get_current_span(handler_parent).get_span_context().span_id == 0xC7AD6B7169203331
    assert message_parent() is None  # only while that message is handled


def test_in_a_run_of_one_the_handler_continues_the_consumer_span(
    spans: InMemorySpanExporter,
) -> None:
    process = start_process("kafka", "orders", "sub", [(STORED, None)])
    assert process is not None
    token = process.enter_message(0)
    assert message_parent() is None  # the current context, i.e. the CONSUMER span
    process.leave_message(token)
    process.end()
